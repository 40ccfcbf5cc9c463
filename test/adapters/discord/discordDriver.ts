import { Effect, Redacted, Stream } from "effect"
import { onTestFinished } from "vitest"
import type { ChatAdapter, ConnectionStatus } from "../../../src/adapters/ChatAdapter.ts"
import {
  type DiscordAdapterOptions,
  makeDiscordAdapter,
} from "../../../src/adapters/discord/DiscordAdapter.ts"
import {
  type FakeChannel,
  type FakeDiscord,
  type FakeDiscordUser,
  startFakeDiscord,
} from "../../fakes/FakeDiscord.ts"
import type { ContractDelivery, ContractDriver } from "../chatAdapterContract.ts"

/** A fake Discord with a channel `#general`, a thread `deploys` in it, and a person `alice`. */
export interface DiscordWorld {
  readonly fake: FakeDiscord
  readonly adapter: ChatAdapter
  readonly general: FakeChannel
  readonly thread: FakeChannel
  readonly alice: FakeDiscordUser
}

/**
 * Starts a fake Discord and an adapter pointed at it; the fake is closed when the test ends
 * (the adapter's sessions are closed by the test's scope before that).
 */
export const discordWorld = (
  options: Partial<Omit<DiscordAdapterOptions, "token">> & {
    readonly token?: string
    /** The fake's TLS listeners (`tls`, `gatewayTls`). */
    readonly fake?: Pick<
      NonNullable<Parameters<typeof startFakeDiscord>[0]>,
      "tls" | "gatewayTls" | "gatewayTlsLater"
    >
  } = {},
): Effect.Effect<DiscordWorld> =>
  Effect.promise(async () => {
    const fake = await startFakeDiscord({ heartbeatIntervalMs: 500, ...options.fake })
    onTestFinished(() => fake.close())
    const general = fake.addChannel("general")
    const thread = fake.addThread(general, "deploys")
    // The contract sends to a room built from the id "x".
    fake.addChannel("x", { id: "x" })
    const alice = fake.addUser("alice")
    const { token, fake: _fake, ...tuning } = options
    const adapter = makeDiscordAdapter({
      name: "discord",
      apiUrl: fake.apiUrl,
      rateLimitWaitMs: 0,
      ...tuning,
      token: Redacted.make(token ?? fake.token),
    })
    return { fake, adapter, general, thread, alice }
  })

/** Waits until the adapter reports a status with this tag. */
export const statusReached = (adapter: ChatAdapter, tag: ConnectionStatus["_tag"]) =>
  adapter.status.pipe(
    Stream.filter((s) => s._tag === tag),
    Stream.take(1),
    Stream.runHead,
  )

export const discordDriver = (): Effect.Effect<ContractDriver> =>
  Effect.map(discordWorld(), ({ fake, adapter, general, thread, alice }) => {
    const kinds: Record<string, ContractDelivery["to"]> = { channel: "room", thread: "thread", dm: "direct" }
    return {
      adapter,
      sayInRoom: (text) => Effect.promise(() => fake.say(alice, general, text)),
      sayInThread: (text) => Effect.promise(() => fake.say(alice, thread, text)),
      sayDirect: (text) => Effect.promise(() => fake.say(alice, undefined, text)),
      received: () => fake.posted.map((p) => p.content),
      delivered: () =>
        fake.posted.map((p) => ({ text: p.content, to: kinds[p.kind] ?? "room", rich: p.embeds.length > 0 })),
      dropConnection: () => Effect.sync(() => fake.dropConnection()),
      rateLimitNext: (retryAfterMs) => Effect.sync(() => fake.rateLimitNext(retryAfterMs)),
      sampleExtra: { embeds: [{ title: "deploy", description: "web to prod", color: 0x2ecc71 }] },
    }
  })
