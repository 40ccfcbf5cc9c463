import { afterEach, describe, expect, it } from "vitest"
import type { ChatAdapter } from "../../../src/adapters/ChatAdapter.ts"
import { makeDiscordAdapter } from "../../../src/adapters/discord/DiscordAdapter.ts"
import { type SandboxHandle, startSandbox } from "../../../src/sandbox/Sandbox.ts"
import { childState, startBotOn, waitFor } from "../../e2e/harness.ts"
import { makeFakeChatAdapter } from "../../fakes/FakeChatAdapter.ts"
import { type FakeDiscord, startFakeDiscord } from "../../fakes/FakeDiscord.ts"

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/**
 * The sandbox, a fake Discord, and `runBot` with a Discord adapter built from stormbot.yaml keys
 * (`token`, `api_url`) plus `others`; returns once aliases are loaded and the st2 stream is live.
 */
const startLoop = async (
  options: { readonly token?: string; readonly others?: ReadonlyArray<ChatAdapter> } = {},
) => {
  const sandbox: SandboxHandle = await startSandbox({ port: 0, resultDelayMs: 30, heartbeatMs: 200 })
  cleanups.push(() => sandbox.stop())
  const fake: FakeDiscord = await startFakeDiscord({ heartbeatIntervalMs: 500 })
  cleanups.push(() => fake.close())
  const { bot, logs, stop } = await startBotOn(sandbox, {
    config: { adapters: [{ type: "discord", token: options.token ?? fake.token, api_url: fake.apiUrl }] },
    adapters: (config) => {
      const discord = config.adapters.find((a) => a.type === "discord")
      if (discord?.type !== "discord") throw new Error("no discord adapter in the decoded config")
      return [makeDiscordAdapter(discord), ...(options.others ?? [])]
    },
  })
  cleanups.push(stop)
  return { sandbox, fake, bot, logs }
}

describe("the ChatOps loop through Discord (fake Discord, StackStorm sandbox)", () => {
  it("a command typed in a Discord thread gets its ack and its result in that thread", async () => {
    const { sandbox, fake } = await startLoop()
    const ops = fake.addChannel("ops")
    const thread = fake.addThread(ops, "deploy-42")
    const alice = fake.addUser("alice")

    await fake.say(alice, thread, "!st2 run date on localhost")
    const inThread = () => fake.posted.filter((p) => p.channelId === thread.id)
    await waitFor(
      () => inThread().length === 2,
      () =>
        `ack and result in the thread (${JSON.stringify(fake.posted.map((p) => [p.channelId, p.content]))})`,
    )
    const [ack, result] = inThread()
    expect(ack!.content).toMatch(/^Running `date` on localhost/)
    expect(result!.content).toMatch(/^localhost: /)
    expect(fake.posted.filter((p) => p.channelId !== thread.id)).toEqual([])
    const execution = (sandbox.executions() as ReadonlyArray<{ context?: Record<string, unknown> }>).at(-1)
    expect(execution?.context).toMatchObject({
      api_user: `<@${alice.id}>`,
      source_channel: `<#${ops.id}>/${thread.id}`,
    })
  })

  it("a result longer than 2000 characters arrives split on line boundaries, in order, in the thread", async () => {
    const { fake } = await startLoop()
    const ops = fake.addChannel("ops")
    const thread = fake.addThread(ops, "long")
    const alice = fake.addUser("alice")
    // 3,400 characters: what a Discord Nitro user may type (4,000 at most).
    const payload = Array.from({ length: 200 }, (_, i) => `line ${String(i).padStart(3, "0")} 0123456`).join(
      "\n",
    )
    await fake.say(alice, thread, `!st2 echo ${payload}`)
    const parts = () => fake.posted.filter((p) => p.channelId === thread.id).map((p) => p.content)
    await waitFor(() => parts().join("\n").includes("line 199"), "the whole result")
    expect(parts().length).toBeGreaterThan(1)
    for (const part of parts()) expect(part.length).toBeLessThanOrEqual(2000)
    expect(parts().join("\n")).toBe(payload)
  })

  it("a rejected Discord token is reported clearly and the rest of stormbot keeps running", async () => {
    const terminal = makeFakeChatAdapter({ name: "terminal", maxMessageLength: 4_000 })
    const { bot, logs } = await startLoop({ token: "a-wrong-token", others: [terminal] })
    await waitFor(
      () => childState(bot, "adapter:discord") === "invalidCredentials",
      () =>
        `the discord adapter to be invalidCredentials (it is ${JSON.stringify(childState(bot, "adapter:discord"))})`,
    )
    const report = logs.find((l) => l.includes("chat adapter discord rejected its credentials"))
    expect(report).toContain("Discord rejected the bot token")
    expect(report).not.toContain("a-wrong-token")
    terminal.say("alice", "ops", "!st2 run date on localhost")
    await waitFor(
      () => terminal.outbound.some((m) => /^localhost: /.test(m.text)),
      "the other adapter's result",
    )
  })
})
