import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { ChatTarget, type ConnectionStatus } from "../../../src/adapters/ChatAdapter.ts"
import { selfSigned } from "../../st2/selfSigned.ts"
import { discordWorld, statusReached } from "./discordDriver.ts"

// st2chatops.env sets NODE_TLS_REJECT_UNAUTHORIZED=0 for the whole process. The Discord adapter
// gives REST and the gateway its own TLS, so the variable must not reach them: here it is set
// for this file only, and the fakes show certificates the adapter does not trust.
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

const rest = selfSigned()
const gateway = selfSigned()
const trust = (cert: string) => ({ verify: true, ca: cert, explicit: true })

const reason = (s: Option.Option<ConnectionStatus>) =>
  Option.match(s, { onNone: () => "", onSome: (v) => ("reason" in v ? v.reason : "") })

const NOT_TRUSTED = "the Discord gateway's TLS certificate is not trusted: "

describe("Discord adapter: TLS is explicit, whatever NODE_TLS_REJECT_UNAUTHORIZED says", () => {
  it.scopedLive(
    "refuses REST's untrusted certificate: Disconnected, naming it; no request reaches Discord",
    () =>
      Effect.gen(function* () {
        const world = yield* discordWorld({ fake: { tls: rest }, restRetries: 0 })
        yield* world.adapter.connect
        const status = yield* statusReached(world.adapter, "Disconnected")
        expect(reason(status)).toBe(
          "could not connect to Discord: its TLS certificate is not trusted: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT); " +
            "if the platform is reached through a proxy that presents its own certificate, give the adapter tls.ca_file with that proxy's CA",
        )
        expect(world.fake.requests).toEqual([])
      }),
  )

  it.scopedLive(
    "trusts exactly tls.ca_file: another CA is refused; the fake's connects (REST, gateway) and sends",
    () =>
      Effect.gen(function* () {
        const wrong = yield* discordWorld({ fake: { tls: rest }, tls: trust(gateway.cert), restRetries: 0 })
        yield* wrong.adapter.connect
        yield* statusReached(wrong.adapter, "Disconnected")
        expect(wrong.fake.requests).toEqual([])

        const world = yield* discordWorld({ fake: { tls: rest }, tls: trust(rest.cert) })
        yield* world.adapter.connect
        yield* statusReached(world.adapter, "Connected")
        expect(world.fake.stats().identifies).toBe(1)
        yield* world.adapter.send(ChatTarget.room({ id: world.general.id, name: "general" }), {
          text: "over TLS",
        })
        expect(world.fake.posted.map((p) => p.content)).toEqual(["over TLS"])
      }),
  )

  it.scopedLive(
    "refuses the gateway's untrusted certificate before the token is sent, even when REST is trusted",
    () =>
      Effect.gen(function* () {
        const world = yield* discordWorld({ fake: { tls: rest, gatewayTls: gateway }, tls: trust(rest.cert) })
        yield* world.adapter.connect
        const status = yield* statusReached(world.adapter, "Disconnected")
        expect(reason(status)).toContain(
          `${NOT_TRUSTED}self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT), checked against tls.ca_file`,
        )
        expect(world.fake.requests.some((r) => r.includes("/gateway/bot"))).toBe(true)
        expect(world.fake.stats()).toMatchObject({ identifies: 0, resumes: 0 })
      }),
  )

  it.scopedLive("refuses a gateway socket whose certificate is not the one the CA check saw", () =>
    Effect.gen(function* () {
      // The gateway shows the client an untrusted certificate and the checker a trusted one.
      const world = yield* discordWorld({
        fake: { tls: rest, gatewayTls: gateway, gatewayTlsLater: rest },
        tls: trust(rest.cert),
      })
      yield* world.adapter.connect
      const status = yield* statusReached(world.adapter, "Disconnected")
      expect(reason(status)).toContain(
        `${NOT_TRUSTED}the gateway socket presented another certificate than the one checked against tls.ca_file`,
      )
      expect(world.fake.stats().identifies).toBe(0)
    }),
  )

  it.scopedLive("without tls.ca_file the gateway must pass Node's own verification", () =>
    Effect.gen(function* () {
      // REST over plain HTTP (no certificate to check), the gateway over TLS.
      const world = yield* discordWorld({ fake: { gatewayTls: gateway } })
      yield* world.adapter.connect
      const status = yield* statusReached(world.adapter, "Disconnected")
      expect(reason(status)).toContain(
        `${NOT_TRUSTED}DEPTH_ZERO_SELF_SIGNED_CERT, checked against Node's CA store`,
      )
      expect(world.fake.stats().identifies).toBe(0)
    }),
  )

  it.scopedLive(
    "tls.verify: false reaches REST only: with the variable unset, Node still checks the gateway",
    () =>
      withTlsEnvUnset(
        Effect.gen(function* () {
          const world = yield* discordWorld({ fake: { tls: rest }, tls: { verify: false, explicit: true } })
          yield* world.adapter.connect
          const status = yield* statusReached(world.adapter, "Disconnected")
          // REST took the untrusted certificate (the adapter's choice); Node refused the gateway's.
          expect(world.fake.requests.some((r) => r.includes("/gateway/bot"))).toBe(true)
          expect(reason(status)).toContain(
            `${NOT_TRUSTED}self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)`,
          )
          expect(world.fake.stats().identifies).toBe(0)
        }),
      ),
  )
})
