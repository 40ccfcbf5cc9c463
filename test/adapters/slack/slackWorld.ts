import { Effect, Redacted, Schedule, Stream } from "effect"
import { onTestFinished } from "vitest"
import type { ConnectionStatus } from "../../../src/adapters/ChatAdapter.ts"
import type { AdapterTlsConfig } from "../../../src/config/StormbotConfig.ts"
import {
  makeSlackAdapter,
  type SlackAdapter,
  type SlackAdapterConfig,
  type SlackAdapterOptions,
} from "../../../src/adapters/slack/SlackAdapter.ts"
import { type FakeSlack, type FakeSlackPost, startFakeSlack } from "../../fakes/FakeSlack.ts"

type FakeSlackOptions = NonNullable<Parameters<typeof startFakeSlack>[0]>
import type { ContractDelivery, ContractDriver } from "../chatAdapterContract.ts"

/**
 * A fake Slack with `#general` (C0GENERAL), `#x` (the contract's room name), people `alice`
 * (UALICE) and `bob` (UBOB), and a Slack adapter pointed at it. The fake is closed when the test
 * ends (the adapter's sessions are closed by the test's scope before that).
 */
export interface SlackWorld {
  readonly fake: FakeSlack
  readonly adapter: SlackAdapter
  readonly mode: "socket" | "http"
  /** Posts made since the world was built. */
  readonly posts: () => ReadonlyArray<FakeSlackPost>
}

export const GENERAL = "C0GENERAL"
export const ALICE = "UALICE"
export const BOB = "UBOB"

export const slackWorld = (
  options: {
    readonly mode?: "socket" | "http"
    readonly botToken?: string
    readonly appToken?: string
    readonly signingSecret?: string
    readonly adapter?: SlackAdapterOptions
    /** The adapter's `tls` (default: none given, verified with Node's roots). */
    readonly tls?: AdapterTlsConfig
    /** The fake's TLS listeners (`tls`, `socketTls`). */
    readonly fake?: Pick<FakeSlackOptions, "tls" | "socketTls">
  } = {},
): Effect.Effect<SlackWorld> =>
  Effect.promise(async () => {
    const fake = await startFakeSlack(options.fake)
    onTestFinished(() => fake.close())
    fake.addChannel({ id: GENERAL, name: "general" })
    fake.addChannel({ id: "C0X", name: "x" })
    fake.addUser({ id: ALICE, name: "alice", realName: "Alice Liddell" })
    fake.addUser({ id: BOB, name: "bob", realName: "Bob" })
    const config: SlackAdapterConfig = {
      type: "slack",
      name: "slack",
      mode: options.mode ?? "socket",
      botToken: Redacted.make(options.botToken ?? fake.botToken),
      appToken: Redacted.make(options.appToken ?? fake.appToken),
      signingSecret: Redacted.make(options.signingSecret ?? fake.signingSecret),
      apiUrl: fake.url,
      http: { host: "127.0.0.1", port: 0, path: "/slack/events" },
      ...(options.tls === undefined ? {} : { tls: options.tls }),
    }
    const adapter = makeSlackAdapter(config, { log: () => {}, minSendIntervalMs: 0, ...options.adapter })
    const start = fake.posts.length
    return { fake, adapter, mode: config.mode, posts: () => fake.posts.slice(start) }
  })

/** Waits until the adapter reports a status with this tag; returns it. */
export const statusReached = (adapter: SlackAdapter, tag: ConnectionStatus["_tag"]) =>
  adapter.status.pipe(
    Stream.filter((s) => s._tag === tag),
    Stream.take(1),
    Stream.runHead,
    Effect.map((s) => (s._tag === "Some" ? s.value : undefined)),
  )

/** Polls until `check` holds (the test's timeout bounds it). */
export const eventually = (check: () => boolean) =>
  Effect.sync(check).pipe(
    Effect.repeat({ until: (ok) => ok, schedule: Schedule.spaced("5 millis") }),
    Effect.asVoid,
  )

/** Delivers a person's event the way the adapter's mode receives it: Socket Mode or a signed HTTP request. */
export const deliver = (world: SlackWorld, event: Record<string, unknown>) =>
  Effect.promise(async () => {
    const { fake, adapter } = world
    const http = adapter.httpAddress
    if (world.mode === "http") {
      await Effect.runPromise(eventually(() => http() !== undefined))
      const res = await fake.postEvent(`http://127.0.0.1:${http()!.port}/slack/events`, event)
      if (res.status !== 200) throw new Error(`the adapter answered ${res.status} to an event`)
    } else {
      await Effect.runPromise(eventually(() => fake.sockets().open > 0))
      await fake.sendEvent(event)
    }
  })

export const toContractDelivery = (p: FakeSlackPost): ContractDelivery => ({
  text: p.text,
  to:
    p.method === "chat.postEphemeral"
      ? "ephemeral"
      : p.channel.startsWith("D")
        ? "direct"
        : p.thread_ts !== undefined
          ? "thread"
          : "room",
  rich: p.attachments !== undefined || p.blocks !== undefined,
})

/** The contract's driver: every optional capability in Socket Mode; in HTTP mode, no dropped socket. */
export const slackDriver =
  (mode: "socket" | "http" = "socket") =>
  (): Effect.Effect<ContractDriver> =>
    Effect.map(slackWorld({ mode }), (world) => {
      const { fake, adapter } = world
      const say = (text: string, extra: { channel?: string; thread_ts?: string } = {}) =>
        deliver(world, fake.message({ user: ALICE, channel: extra.channel ?? GENERAL, text, ...extra }))
      const driver: ContractDriver = {
        adapter,
        sayInRoom: (text) => say(text),
        sayInThread: (text) => say(text, { thread_ts: "1690000000.000100" }),
        sayDirect: (text) => say(text, { channel: `D${ALICE}` }),
        received: () => world.posts().map((p) => p.text),
        delivered: () => world.posts().map(toContractDelivery),
        sampleExtra: {
          color: "good",
          title: "Result",
          fields: [{ title: "host", value: "web1", short: true }],
        },
        rateLimitNext: (ms) => Effect.sync(() => fake.rateLimitNext(Math.ceil(ms / 1000))),
        ...(mode === "socket"
          ? {
              dropConnection: () =>
                Effect.gen(function* () {
                  yield* eventually(() => fake.sockets().open > 0)
                  fake.dropSockets()
                }),
            }
          : {}),
      }
      return driver
    })
