import { Effect, Either, Exit, Logger, LogLevel, Redacted, Scope } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { runBot } from "../../../src/actors/runBot.ts"
import { makeDiscordAdapter } from "../../../src/adapters/discord/DiscordAdapter.ts"
import { decodeConfig } from "../../../src/config/decodeConfig.ts"
import { DEFAULT_USER, startSandbox } from "../../../src/sandbox/Sandbox.ts"
import { childState, fastCredentialRetries, waitFor } from "../../e2e/harness.ts"
import { startFakeDiscord } from "../../fakes/FakeDiscord.ts"

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe("the ChatOps loop through Discord (fake Discord, StackStorm sandbox)", () => {
  it("a command typed in a Discord thread gets its ack and its result in that thread", async () => {
    const sandbox = await startSandbox({ port: 0, resultDelayMs: 30, heartbeatMs: 200 })
    cleanups.push(() => sandbox.stop())
    const fake = await startFakeDiscord({ heartbeatIntervalMs: 500 })
    cleanups.push(() => fake.close())
    const ops = fake.addChannel("ops")
    const thread = fake.addThread(ops, "deploy-42")
    const alice = fake.addUser("alice")
    const decoded = decodeConfig({
      stackstorm: {
        url: sandbox.url,
        api_auth: { user: { name: DEFAULT_USER.name, password: DEFAULT_USER.password } },
      },
      adapters: [{ type: "discord", token: fake.token, api_url: fake.apiUrl }],
    })
    if (Either.isLeft(decoded)) throw new Error(JSON.stringify(decoded.left))
    const config = decoded.right.config
    const discordConfig = config.adapters.find((a) => a.type === "discord")
    if (discordConfig?.type !== "discord") throw new Error("no discord adapter in the decoded config")
    const discord = makeDiscordAdapter(discordConfig)
    const scope = Effect.runSync(Scope.make())
    cleanups.push(() => Effect.runPromise(Scope.close(scope, Exit.void)))
    const bot = await Effect.runPromise(
      runBot({
        config,
        adapters: [discord],
        credential: {
          _tag: "Password",
          username: DEFAULT_USER.name,
          password: Redacted.make(DEFAULT_USER.password),
        },
        credentialTimings: fastCredentialRetries,
        drainTimeoutMs: 2_000,
      }).pipe(Scope.extend(scope), Logger.withMinimumLogLevel(LogLevel.None)),
    )
    await waitFor(() => childState(bot, "aliasSync") === "ready", "the aliases to load")
    await waitFor(
      () => JSON.stringify(childState(bot, "stream") ?? "").includes("connected"),
      "the st2 stream",
    )

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
})
