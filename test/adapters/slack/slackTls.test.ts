import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ChatTarget, type ConnectionStatus } from "../../../src/adapters/ChatAdapter.ts"
import { selfSigned } from "../../st2/selfSigned.ts"
import { GENERAL, slackWorld, statusReached } from "./slackWorld.ts"

// st2chatops.env sets NODE_TLS_REJECT_UNAUTHORIZED=0 for the whole process. The Slack adapter
// passes its own TLS options to every connection, so the variable must not reach them: here it
// is set for this file only, and the fakes show certificates the adapter does not trust.
const previous = process.env.NODE_TLS_REJECT_UNAUTHORIZED
beforeAll(() => {
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0"
})
afterAll(() => {
  if (previous === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED
  else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previous
})

/** Runs `effect` with the variable unset (Node's default: verify), then sets it to 0 again. */
const withTlsEnvUnset = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => delete process.env.NODE_TLS_REJECT_UNAUTHORIZED),
    () => effect,
    () => Effect.sync(() => (process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0")),
  )

const api = selfSigned()
const socket = selfSigned()
const trust = (cert: string) => ({ verify: true, ca: cert, explicit: true })

const reason = (s: ConnectionStatus | undefined) => (s !== undefined && "reason" in s ? s.reason : "")

describe("Slack adapter: TLS is explicit, whatever NODE_TLS_REJECT_UNAUTHORIZED says", () => {
  it.scopedLive(
    "refuses the Web API's untrusted certificate: Disconnected, naming it; no call reaches Slack",
    () =>
      Effect.gen(function* () {
        const world = yield* slackWorld({ fake: { tls: api } })
        yield* world.adapter.connect
        const status = yield* statusReached(world.adapter, "Disconnected")
        expect(reason(status)).toBe(
          "the bot token was refused (auth.test): Slack's TLS certificate is not trusted: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT); " +
            "if the platform is reached through a proxy that presents its own certificate, give the adapter tls.ca_file with that proxy's CA",
        )
        expect(world.fake.calls).toEqual([])
      }),
  )

  it.scopedLive(
    "trusts exactly tls.ca_file: another CA is refused; the fake's connects (Web API, Socket Mode) and sends",
    () =>
      Effect.gen(function* () {
        const wrong = yield* slackWorld({ fake: { tls: api }, tls: trust(socket.cert) })
        yield* wrong.adapter.connect
        yield* statusReached(wrong.adapter, "Disconnected")
        expect(wrong.fake.calls).toEqual([])

        const world = yield* slackWorld({ fake: { tls: api }, tls: trust(api.cert) })
        yield* world.adapter.connect
        yield* statusReached(world.adapter, "Connected")
        expect(world.fake.sockets().opened).toBe(1)
        yield* world.adapter.send(ChatTarget.room({ id: GENERAL, name: "general" }), { text: "over TLS" })
        expect(world.posts().map((p) => p.text)).toEqual(["over TLS"])
      }),
  )

  it.scopedLive(
    "refuses the Socket Mode WebSocket's untrusted certificate even when the Web API is trusted",
    () =>
      Effect.gen(function* () {
        const world = yield* slackWorld({ fake: { tls: api, socketTls: socket }, tls: trust(api.cert) })
        yield* world.adapter.connect
        const status = yield* statusReached(world.adapter, "Disconnected")
        expect(world.fake.calls.map((c) => c.method)).toEqual(["auth.test", "apps.connections.open"])
        expect(world.fake.sockets().opened).toBe(0)
        expect(reason(status)).toContain(
          "opening the Socket Mode WebSocket failed: Slack's TLS certificate is not trusted: self-signed certificate",
        )
      }),
  )

  it.scopedLive("http mode: the Web API is refused the same way", () =>
    Effect.gen(function* () {
      const world = yield* slackWorld({ mode: "http", fake: { tls: api } })
      yield* world.adapter.connect
      const status = yield* statusReached(world.adapter, "Disconnected")
      expect(reason(status)).toContain("DEPTH_ZERO_SELF_SIGNED_CERT")
      expect(world.fake.calls).toEqual([])
    }),
  )

  it.scopedLive(
    "tls.verify: false accepts untrusted certificates, for this adapter, with the variable unset too",
    () =>
      withTlsEnvUnset(
        Effect.gen(function* () {
          const world = yield* slackWorld({
            fake: { tls: api, socketTls: socket },
            tls: { verify: false, explicit: true },
          })
          yield* world.adapter.connect
          yield* statusReached(world.adapter, "Connected")
          expect(world.fake.sockets().opened).toBe(1)
        }),
      ),
  )
})
