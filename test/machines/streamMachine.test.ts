import { Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { createActor, fromCallback, fromPromise, SimulatedClock } from "xstate"
import {
  classifyStreamFailure,
  type ConnectionInput,
  DEFAULT_SILENCE_LIMIT_MS,
  type RefreshCredentialInput,
  reconnectDelayMs,
  type StreamFailure,
  type StreamMachineEvent,
  streamMachine,
} from "../../src/machines/streamMachine.ts"
import { CredentialUnavailable, type St2Credential } from "../../src/st2/St2Credential.ts"
import {
  St2BadRequest,
  St2Conflict,
  St2Forbidden,
  St2NotFound,
  St2ResponseTooLarge,
  St2ServerError,
  St2Timeout,
  St2Unauthorized,
  St2Unavailable,
  St2UndecodableBody,
} from "../../src/st2/St2Error.ts"

const flush = () => new Promise((r) => setTimeout(r, 0))
const http = { method: "GET", path: "/stream/v1/stream" }
const unavailable = new St2Unavailable({ ...http, cause: "ECONNREFUSED" })
const expired = new St2Unauthorized({
  ...http,
  status: 401,
  faultstring: "Unauthorized - Token has expired.",
  reason: "expired",
})
const unavailable503 = new St2ServerError({ ...http, status: 503, faultstring: "Service Unavailable" })
const credential: St2Credential = { _tag: "Token", token: Redacted.make("0123456789abcdef0123456789abcdef") }

interface Connection {
  readonly send: (e: StreamMachineEvent) => void
  stopped: boolean
}

/**
 * The machine with scripted children: each `connection` child is recorded so a test can speak
 * for it (its events go through the real sendBack); `refreshCredential` answers as told.
 */
const start = (
  options: {
    random?: number
    refresh?: (input: RefreshCredentialInput) => Promise<void>
    silenceLimitMs?: number
  } = {},
) => {
  const clock = new SimulatedClock()
  const connections: Array<Connection> = []
  const inputs: Array<ConnectionInput> = []
  const refreshes: Array<RefreshCredentialInput> = []
  const machine = streamMachine.provide({
    actors: {
      connection: fromCallback<StreamMachineEvent, ConnectionInput>(({ sendBack, input }) => {
        inputs.push(input)
        const c: Connection = { send: (e) => sendBack(e), stopped: false }
        connections.push(c)
        return () => {
          c.stopped = true
        }
      }),
      refreshCredential: fromPromise<void, RefreshCredentialInput>(async ({ input }) => {
        refreshes.push(input)
        await (options.refresh ?? (async () => undefined))(input)
      }),
    },
  })
  const actor = createActor(machine, {
    clock,
    input: { random: () => options.random ?? 0.999_999, silenceLimitMs: options.silenceLimitMs },
  })
  const emitted: Array<{ event: string; data: unknown }> = []
  const batches: number[] = []
  actor.on("stream.events", (e) => {
    batches.push(e.events.length)
    emitted.push(...e.events)
  })
  const errors: Array<unknown> = []
  actor.subscribe({ error: (e) => errors.push(e) })
  actor.start()
  const current = () => {
    const c = connections.at(-1)
    if (c === undefined) throw new Error("no connection child was started")
    return c
  }
  const state = () => actor.getSnapshot().value
  const ctx = () => actor.getSnapshot().context
  return { actor, clock, connections, inputs, current, refreshes, emitted, batches, errors, state, ctx }
}

const connectedState = { live: { connected: "listening" } }

describe("streamMachine", () => {
  it("connects, forwards each batch of events in order, and counts them", () => {
    const t = start()
    expect(t.state()).toEqual({ live: "connecting" })
    expect(t.connections).toHaveLength(1)
    t.current().send({ type: "OPENED", at: 1_000 })
    expect(t.state()).toEqual(connectedState)
    expect(t.ctx().connectedSince).toBe(1_000)
    t.current().send({ type: "BYTES" })
    t.current().send({
      type: "EVENTS",
      events: [
        { event: "st2.announcement__chatops", data: { n: 1 } },
        { event: "st2.announcement__chatops", data: { n: 2 } },
      ],
    })
    t.current().send({ type: "EVENTS", events: [{ event: "st2.announcement__chatops", data: { n: 3 } }] })
    expect(t.emitted).toEqual([
      { event: "st2.announcement__chatops", data: { n: 1 } },
      { event: "st2.announcement__chatops", data: { n: 2 } },
      { event: "st2.announcement__chatops", data: { n: 3 } },
    ])
    expect(t.batches).toEqual([2, 1])
    expect(t.ctx().eventsReceived).toBe(3)
    expect(t.errors).toEqual([])
  })

  it("retries the first failure within 500 ms with a new connection child", () => {
    const t = start({ random: 0.999_999 })
    t.current().send({ type: "FAILED", error: unavailable })
    expect(t.state()).toBe("reconnecting")
    expect(t.ctx().attempt).toBe(1)
    expect(t.ctx().retryDelayMs).toBeLessThanOrEqual(500)
    expect(t.connections[0]?.stopped).toBe(true)
    t.clock.increment(499)
    expect(t.state()).toBe("reconnecting")
    t.clock.increment(1)
    expect(t.state()).toEqual({ live: "connecting" })
    expect(t.connections).toHaveLength(2)
  })

  it("grows the backoff on consecutive failures and caps it at 5 s", () => {
    const t = start({ random: 0.999_999 })
    const waits: Array<number> = []
    for (let i = 0; i < 8; i++) {
      t.current().send({ type: "FAILED", error: unavailable })
      const wait = t.ctx().retryDelayMs
      waits.push(wait)
      t.clock.increment(wait - 1)
      expect(t.state()).toBe("reconnecting")
      t.clock.increment(1)
      expect(t.state()).toEqual({ live: "connecting" })
    }
    expect(waits).toEqual([500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000, 5_000])
    expect(t.connections).toHaveLength(9)
  })

  it("jitters every wait within [half, all] of its ceiling", () => {
    for (const attempt of [1, 2, 3, 4, 5, 50, 10_000]) {
      const ceiling = Math.min(5_000, 500 * 2 ** (attempt - 1))
      expect(reconnectDelayMs(attempt, 0)).toBe(ceiling / 2)
      expect(reconnectDelayMs(attempt, 0.999_999)).toBeLessThanOrEqual(ceiling)
      expect(reconnectDelayMs(attempt, 0.999_999)).toBeGreaterThan(ceiling / 2)
    }
  })

  it("resets the backoff once a connection has been healthy for a minute", () => {
    const t = start({ random: 0.999_999 })
    for (let i = 0; i < 3; i++) {
      t.current().send({ type: "FAILED", error: unavailable })
      t.clock.increment(t.ctx().retryDelayMs)
    }
    expect(t.ctx().attempt).toBe(3)
    t.current().send({ type: "OPENED", at: 0 })
    for (let i = 0; i < 3; i++) {
      t.clock.increment(20_000)
      t.current().send({ type: "BYTES" })
    }
    expect(t.ctx().attempt).toBe(0)
    t.current().send({ type: "CLOSED" })
    expect(t.ctx().attempt).toBe(1)
    expect(t.ctx().retryDelayMs).toBeLessThanOrEqual(500)
  })

  it("keeps growing the backoff when connections drop before a healthy minute", () => {
    const t = start({ random: 0.999_999 })
    for (let i = 0; i < 3; i++) {
      t.current().send({ type: "OPENED", at: 0 })
      t.clock.increment(10_000)
      t.current().send({ type: "CLOSED" })
      t.clock.increment(t.ctx().retryDelayMs)
    }
    expect(t.ctx().attempt).toBe(3)
    t.current().send({ type: "CLOSED" })
    expect(t.ctx().retryDelayMs).toBe(4_000)
  })

  it("treats 35 s without a byte as a dead connection (st2's 25 s heartbeat, 10 s late); each byte restarts the count", () => {
    expect(DEFAULT_SILENCE_LIMIT_MS).toBe(35_000)
    const t = start()
    t.current().send({ type: "OPENED", at: 0 })
    t.clock.increment(34_999)
    expect(t.state()).toEqual(connectedState)
    t.current().send({ type: "BYTES" })
    t.clock.increment(34_999)
    expect(t.state()).toEqual(connectedState)
    t.clock.increment(1)
    expect(t.state()).toBe("reconnecting")
    expect(t.ctx().lastError).toEqual({ _tag: "StreamSilent", phase: "connected", silentMs: 35_000 })
    expect(t.connections[0]?.stopped).toBe(true)
    t.clock.increment(t.ctx().retryDelayMs)
    expect(t.state()).toEqual({ live: "connecting" })
  })

  it("gives up on an answer that never comes after 35 s and reconnects", () => {
    const t = start()
    t.clock.increment(34_999)
    expect(t.state()).toEqual({ live: "connecting" })
    t.clock.increment(1)
    expect(t.state()).toBe("reconnecting")
    expect(t.ctx().lastError).toMatchObject({ _tag: "StreamSilent", phase: "connecting", silentMs: 35_000 })
    expect(t.connections[0]?.stopped).toBe(true)
  })

  it("takes its silence limit from the input (limits.stream_silence), connecting and connected", () => {
    const t = start({ silenceLimitMs: 90_000 })
    t.clock.increment(89_999)
    expect(t.state()).toEqual({ live: "connecting" })
    t.clock.increment(1)
    expect(t.ctx().lastError).toEqual({ _tag: "StreamSilent", phase: "connecting", silentMs: 90_000 })
    t.clock.increment(t.ctx().retryDelayMs)
    t.current().send({ type: "OPENED", at: 0 })
    t.clock.increment(89_999)
    expect(t.state()).toEqual(connectedState)
    t.clock.increment(1)
    expect(t.ctx().lastError).toEqual({ _tag: "StreamSilent", phase: "connected", silentMs: 90_000 })
    // The connection child reports bytes once a second, or four times per limit when that is shorter.
    expect(t.inputs[0]?.bytesIntervalMs).toBe(1_000)
    expect(start({ silenceLimitMs: 2_000 }).inputs[0]?.bytesIntervalMs).toBe(500)
  })

  it("on 401 reports the credential, waits for a fresh one, then reconnects", async () => {
    const t = start()
    t.current().send({ type: "FAILED", error: expired, credential })
    expect(t.state()).toBe("awaitingCredential")
    expect(t.connections[0]?.stopped).toBe(true)
    await flush()
    expect(t.refreshes).toEqual([{ credential, error: expired }])
    expect(t.state()).toEqual({ live: "connecting" })
    expect(t.connections).toHaveLength(2)
  })

  it("backs off between repeated 401s instead of spinning", async () => {
    const t = start({ random: 0.999_999 })
    t.current().send({ type: "FAILED", error: expired, credential })
    await flush()
    t.current().send({ type: "FAILED", error: expired, credential })
    await flush()
    expect(t.refreshes).toHaveLength(2)
    expect(t.state()).toBe("reconnecting")
    t.clock.increment(1_000)
    expect(t.state()).toEqual({ live: "connecting" })
  })

  it("waits and retries when no fresh credential can be had", async () => {
    const t = start({
      refresh: () => Promise.reject(new CredentialUnavailable({ message: "st2auth down", permanent: false })),
    })
    t.current().send({ type: "FAILED", error: expired, credential })
    await flush()
    expect(t.state()).toBe("reconnecting")
    expect(t.ctx().lastError).toMatchObject({ _tag: "CredentialUnavailable" })
    t.clock.increment(t.ctx().retryDelayMs)
    expect(t.state()).toEqual({ live: "connecting" })
    expect(t.errors).toEqual([])
  })

  it("stops waiting for the credential actor after 30 s", () => {
    const t = start({ refresh: () => new Promise(() => undefined) })
    t.current().send({ type: "FAILED", error: expired, credential })
    t.clock.increment(29_999)
    expect(t.state()).toBe("awaitingCredential")
    t.clock.increment(1)
    expect(t.state()).toBe("reconnecting")
    expect(t.ctx().lastError).toEqual({ _tag: "CredentialWaitExpired", waitedMs: 30_000 })
  })

  it("treats nginx's `retry: 1000` answer (200, then close) as reconnect", () => {
    const t = start()
    t.current().send({ type: "OPENED", at: 0 })
    t.current().send({ type: "BYTES" })
    t.current().send({ type: "CLOSED" })
    expect(t.state()).toBe("reconnecting")
    expect(t.ctx().lastError).toEqual({ _tag: "StreamEnded" })
    t.clock.increment(t.ctx().retryDelayMs)
    expect(t.state()).toEqual({ live: "connecting" })
  })

  it("treats 503 as reconnect, every time", () => {
    const t = start()
    for (let i = 0; i < 20; i++) {
      t.current().send({ type: "FAILED", error: unavailable503 })
      expect(t.state()).toBe("reconnecting")
      t.clock.increment(5_000)
    }
    expect(t.state()).toEqual({ live: "connecting" })
    expect(t.connections).toHaveLength(21)
  })

  it("stops from any state and stops its child", async () => {
    const t = start()
    t.current().send({ type: "OPENED", at: 0 })
    t.actor.send({ type: "STOP" })
    expect(t.state()).toBe("stopped")
    expect(t.actor.getSnapshot().status).toBe("done")
    expect(t.connections[0]?.stopped).toBe(true)

    const u = start({ refresh: () => new Promise(() => undefined) })
    u.current().send({ type: "FAILED", error: expired, credential })
    u.actor.send({ type: "STOP" })
    expect(u.state()).toBe("stopped")
  })
})

describe("classifyStreamFailure", () => {
  const http401 = { ...http, status: 401, faultstring: "Unauthorized" }
  const cases: Array<[StreamFailure, "reconnect" | "reauthenticate"]> = [
    [new St2Unauthorized({ ...http401, reason: "unknownToken" }), "reauthenticate"],
    [new St2Unauthorized({ ...http401, reason: "disabledKey" }), "reauthenticate"],
    [new St2Forbidden({ ...http, status: 403, faultstring: "no" }), "reconnect"],
    [new St2NotFound({ ...http, status: 404, faultstring: "The resource could not be found." }), "reconnect"],
    [new St2BadRequest({ ...http, status: 400, faultstring: "bad" }), "reconnect"],
    [new St2Conflict({ ...http, status: 409, faultstring: "conflict" }), "reconnect"],
    [unavailable503, "reconnect"],
    [unavailable, "reconnect"],
    [new St2Timeout({ ...http, timeoutMs: 1 }), "reconnect"],
    [new St2UndecodableBody({ ...http, status: 200, detail: "text/html" }), "reconnect"],
    [new St2ResponseTooLarge({ ...http, status: 200, limitBytes: 1, part: "event" }), "reconnect"],
    [new CredentialUnavailable({ message: "rejected", permanent: true }), "reconnect"],
    [{ _tag: "StreamEnded" }, "reconnect"],
    [{ _tag: "StreamSilent", phase: "connected", silentMs: 35_000 }, "reconnect"],
    [{ _tag: "CredentialWaitExpired", waitedMs: 30_000 }, "reconnect"],
    [{ _tag: "StreamDefect", message: "boom" }, "reconnect"],
  ]
  it("reconnects on a failure it does not know, rather than crashing the machine", () => {
    expect(classifyStreamFailure({ _tag: "SomethingNew" } as unknown as StreamFailure)).toBe("reconnect")
    const t = start()
    t.current().send({ type: "FAILED", error: new Error("untagged") as unknown as StreamFailure })
    expect(t.state()).toBe("reconnecting")
    expect(t.errors).toEqual([])
  })
  it.each(cases)("%o → %s", (failure, expected) => {
    expect(classifyStreamFailure(failure)).toBe(expected)
  })
})
