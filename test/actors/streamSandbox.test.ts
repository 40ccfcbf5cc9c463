import { Chunk, Effect, Exit, Layer, Logger, LogLevel, Queue, Redacted, Scope } from "effect"
import { fetch } from "undici"
import { afterEach, describe, expect, it } from "vitest"
import { makeSt2EventStream } from "../../src/actors/streamActor.ts"
import type { StreamFailure } from "../../src/machines/streamMachine.ts"
import { DEFAULT_USER, type SandboxHandle, startSandbox } from "../../src/sandbox/Sandbox.ts"
import { BotCredential, type St2Credential } from "../../src/st2/St2Credential.ts"
import type { Announcement } from "../../src/st2/streamAnnouncement.ts"
import { eventually } from "../st2/streamServer.ts"

/** Backoff waits (≤ 5 s) run 50× faster; the 35 s silence limit is untouched. */
const fastRetries = {
  setTimeout: (fn: (...args: Array<unknown>) => void, ms: number) =>
    setTimeout(fn, ms <= 5_000 ? ms / 50 : ms),
  clearTimeout: (id: unknown) => clearTimeout(id as NodeJS.Timeout),
}

/** A token credential that logs in again when told the token was rejected (as the credential actor does). */
const tokenCredential = (sandbox: SandboxHandle) => {
  const login = Effect.promise(async () => {
    const basic = Buffer.from(`${DEFAULT_USER.name}:${DEFAULT_USER.password}`).toString("base64")
    const res = await fetch(`${sandbox.url}/auth/v1/tokens`, {
      method: "POST",
      headers: { Authorization: `Basic ${basic}`, "Content-Type": "application/json" },
      body: "{}",
    })
    const body = (await res.json()) as { token: string }
    return { _tag: "Token", token: Redacted.make(body.token) } as const
  })
  let current: St2Credential | undefined
  const reasons: Array<string> = []
  const layer = Layer.succeed(BotCredential, {
    get: Effect.suspend(() =>
      current !== undefined ? Effect.succeed(current) : Effect.tap(login, (c) => (current = c)),
    ),
    peek: () => current,
    reportUnauthorized: (_credential, error) =>
      Effect.sync(() => {
        reasons.push(error.reason)
        current = undefined
      }),
  })
  return { layer, reasons }
}

let sandbox: SandboxHandle | undefined
let scope: Scope.CloseableScope | undefined
afterEach(async () => {
  if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
  await sandbox?.stop()
  scope = undefined
  sandbox = undefined
})

describe("streamActor against the sandbox", () => {
  it("survives drops, 503s, nginx's retry, token expiry and a restart without losing later results", async () => {
    const sb = await startSandbox({ port: 0 })
    sandbox = sb
    const credential = tokenCredential(sb)
    const s = Effect.runSync(Scope.make())
    scope = s
    const service = await Effect.runPromise(
      makeSt2EventStream({
        endpoints: { streamUrl: `${sb.url}/stream/v1`, verifyCert: true },
        routeKey: "errbot",
        clock: fastRetries,
      }).pipe(
        Scope.extend(s),
        Effect.provide(credential.layer),
        Logger.withMinimumLogLevel(LogLevel.Warning),
      ),
    )
    const queue = await Effect.runPromise(service.subscribe.pipe(Scope.extend(s)))
    const received: Array<Announcement> = []
    const failures: Array<StreamFailure> = []
    service.actor.subscribe((snapshot) => {
      const e = snapshot.context.lastError
      if (e !== undefined && failures.at(-1) !== e) failures.push(e)
    })
    /** Connected, and the sandbox holds exactly one subscribed stream: ours, the current one. */
    const recovered = async (what: string) => {
      const deadline = Date.now() + 10_000
      for (;;) {
        if (service.actor.getSnapshot().matches({ live: "connected" })) {
          const state = (await (await fetch(`${sb.url}/__sandbox/state`)).json()) as { open_streams: number }
          if (state.open_streams === 1) return
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for recovery after ${what}`)
        await new Promise((r) => setTimeout(r, 10))
      }
    }
    let sent = 0
    const announceAndReceive = async () => {
      sent++
      sb.announce("errbot", { message: `r${sent}`, channel: "terminal", user: "alice", whisper: false })
      await eventually(`announcement r${sent}`, () => {
        received.push(...Chunk.toArray(Effect.runSync(Queue.takeAll(queue))))
        return received.length >= sent
      })
    }

    await recovered("start")
    await announceAndReceive()

    sb.faults.dropStreams()
    await recovered("a drop")
    await announceAndReceive()

    sb.faults.setStreamMode("unavailable")
    sb.faults.dropStreams()
    await eventually("two 503s", () => failures.filter((f) => f._tag === "St2ServerError").length >= 2)
    sb.faults.setStreamMode("ok")
    await recovered("503s")
    await announceAndReceive()

    sb.faults.setStreamMode("nginx-retry")
    sb.faults.dropStreams()
    await eventually(
      "two nginx retry answers",
      () => failures.filter((f) => f._tag === "StreamEnded").length >= 2,
    )
    sb.faults.setStreamMode("ok")
    await recovered("nginx retry")
    await announceAndReceive()

    sb.faults.expireAllTokens()
    sb.faults.dropStreams()
    await recovered("token expiry")
    expect(credential.reasons).toEqual(["expired"])
    await announceAndReceive()

    await sb.stop()
    await sb.start()
    await recovered("a restart")
    await announceAndReceive()

    expect(received.map((a) => a.payload.message)).toEqual(["r1", "r2", "r3", "r4", "r5", "r6"])
    expect(received[0]?.payload).toMatchObject({ channel: "terminal", user: "alice", whisper: false })
    expect(service.actor.getSnapshot().status).toBe("active")
  })

  it("delivers a burst in order with one EVENTS per read and at most one BYTES a second", async () => {
    const sb = await startSandbox({ port: 0 })
    sandbox = sb
    const credential = tokenCredential(sb)
    const s = Effect.runSync(Scope.make())
    scope = s
    const seen: Record<string, number> = {}
    const service = await Effect.runPromise(
      makeSt2EventStream({
        endpoints: { streamUrl: `${sb.url}/stream/v1`, verifyCert: true },
        routeKey: "errbot",
        inspect: (e) => {
          if (e.type === "@xstate.event") seen[e.event.type] = (seen[e.event.type] ?? 0) + 1
        },
      }).pipe(
        Scope.extend(s),
        Effect.provide(credential.layer),
        Logger.withMinimumLogLevel(LogLevel.Warning),
      ),
    )
    const queue = await Effect.runPromise(service.subscribe.pipe(Scope.extend(s)))
    await eventually("connected", () => service.actor.getSnapshot().matches({ live: "connected" }))
    const started = Date.now()
    const n = 500
    for (let i = 1; i <= n; i++)
      sb.announce("errbot", { message: `b${i}`, channel: "terminal", user: "alice", whisper: false })
    const received: Array<Announcement> = []
    await eventually("the whole burst", () => {
      received.push(...Chunk.toArray(Effect.runSync(Queue.takeAll(queue))))
      return received.length >= n
    })
    const seconds = (Date.now() - started) / 1000
    expect(received.map((a) => a.payload.message)).toEqual(Array.from({ length: n }, (_, i) => `b${i + 1}`))
    expect(service.actor.getSnapshot().context.eventsReceived).toBe(n)
    // Reads carry many events each; liveness is reported at most once a second (plus the first).
    expect(seen.EVENTS).toBeLessThan(n)
    expect(seen.BYTES ?? 0).toBeLessThanOrEqual(Math.ceil(seconds) + 1)
  })
})
