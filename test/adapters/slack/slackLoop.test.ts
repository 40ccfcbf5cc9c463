import { Redacted } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import type { Bot } from "../../../src/actors/runBot.ts"
import type { ChatAdapter } from "../../../src/adapters/ChatAdapter.ts"
import { makeSlackAdapter } from "../../../src/adapters/slack/SlackAdapter.ts"
import { type SandboxHandle, startSandbox } from "../../../src/sandbox/Sandbox.ts"
import { childState, startBotOn, waitFor } from "../../e2e/harness.ts"
import { makeFakeChatAdapter } from "../../fakes/FakeChatAdapter.ts"
import { type FakeSlack, startFakeSlack } from "../../fakes/FakeSlack.ts"

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** The sandbox, a fake Slack with #ops and alice, and `runBot` with the given adapters; stopped after the test. */
const start = async (
  adapters: (fake: FakeSlack) => ReadonlyArray<ChatAdapter>,
): Promise<{ sandbox: SandboxHandle; fake: FakeSlack; bot: Bot; logs: ReadonlyArray<string> }> => {
  const sandbox = await startSandbox({ port: 0, resultDelayMs: 30, heartbeatMs: 200 })
  cleanups.push(() => sandbox.stop())
  const fake = await startFakeSlack()
  cleanups.push(() => fake.close())
  fake.addChannel({ id: "C0OPS", name: "ops" })
  fake.addUser({ id: "UALICE", name: "alice" })
  const { bot, logs, stop } = await startBotOn(sandbox, { adapters: () => adapters(fake) })
  cleanups.push(stop)
  return { sandbox, fake, bot, logs }
}

const slackAdapter = (fake: FakeSlack, botToken = fake.botToken) =>
  makeSlackAdapter(
    {
      type: "slack",
      name: "slack",
      mode: "socket",
      botToken: Redacted.make(botToken),
      appToken: Redacted.make(fake.appToken),
      apiUrl: fake.url,
      http: { host: "127.0.0.1", port: 0, path: "/slack/events" },
    },
    { log: () => {}, minSendIntervalMs: 0 },
  )

describe("the ChatOps loop through Slack (fake Slack, StackStorm sandbox)", () => {
  it("a command typed in a Slack thread gets its ack and its result in that thread", async () => {
    const { sandbox, fake } = await start((fake) => [slackAdapter(fake)])
    await waitFor(() => fake.sockets().open === 1, "the Slack socket")

    const thread = "1690000000.000500"
    await fake.sendEvent(
      fake.message({
        user: "UALICE",
        channel: "C0OPS",
        text: "!st2 run date on localhost",
        thread_ts: thread,
      }),
    )
    const inThread = () => fake.posts.filter((p) => p.channel === "C0OPS" && p.thread_ts === thread)
    await waitFor(
      () => inThread().length === 2,
      () => `ack and result in the thread (${JSON.stringify(fake.posts)})`,
    )
    const [ack, result] = inThread()
    expect(ack!.text).toMatch(/^Running `date` on localhost/)
    expect(result!.text).toMatch(/^localhost: /)
    expect(fake.posts.filter((p) => p.thread_ts === undefined)).toEqual([])
    const execution = (sandbox.executions() as ReadonlyArray<{ context?: Record<string, unknown> }>).at(-1)
    expect(execution?.context).toMatchObject({ api_user: "UALICE", source_channel: `C0OPS:${thread}` })
  })

  it("an invalid Slack token is reported as such and the other adapters keep working", async () => {
    const other = makeFakeChatAdapter({ maxMessageLength: 4_000 })
    const { fake, bot, logs } = await start((fake) => [slackAdapter(fake, "xoxb-revoked"), other])
    await waitFor(
      () => JSON.stringify(childState(bot, "adapter:slack") ?? "").includes("invalidCredentials"),
      () =>
        `the slack adapter to be in invalidCredentials (${JSON.stringify(childState(bot, "adapter:slack"))})`,
    )
    expect(logs.join("\n")).toMatch(/invalid_auth/)
    expect(logs.join("\n")).not.toContain("xoxb-revoked")
    expect(fake.sockets().opened).toBe(0)
    other.say("bob", "ops", "!st2 run date on localhost")
    await waitFor(
      () => other.outbound.filter((m) => m.to === "#ops").length === 2,
      "ack and result on the other adapter",
    )
  })
})
