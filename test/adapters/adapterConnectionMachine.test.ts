import { describe, expect, it } from "vitest"
import { createActor, fromCallback, SimulatedClock } from "xstate"
import { adapterConnectionLogic } from "../../src/actors/adapterConnectionLogic.ts"
import type { ConnectionStatus } from "../../src/adapters/ChatAdapter.ts"
import {
  type AdapterConnectionChildInput,
  type AdapterConnectionEmitted,
  type AdapterConnectionEvent,
  adapterConnectionMachine,
  CONNECT_TIMEOUT_MS,
  HEALTHY_PERIOD_MS,
} from "../../src/machines/adapterConnectionMachine.ts"
import { makeFakeChatAdapter } from "../fakes/FakeChatAdapter.ts"

const flush = () => new Promise((r) => setTimeout(r, 0))

interface Session {
  readonly input: AdapterConnectionChildInput
  readonly status: (status: ConnectionStatus) => void
  stopped: boolean
}

/** The machine with a scripted `connection` child: each session is recorded and speaks for the adapter. */
const start = () => {
  const clock = new SimulatedClock()
  const sessions: Session[] = []
  const emitted: AdapterConnectionEmitted[] = []
  const errors: unknown[] = []
  const machine = adapterConnectionMachine.provide({
    actors: {
      connection: fromCallback<AdapterConnectionEvent, AdapterConnectionChildInput>(({ sendBack, input }) => {
        const session: Session = {
          input,
          status: (status) => sendBack({ type: "STATUS", status }),
          stopped: false,
        }
        sessions.push(session)
        return () => {
          session.stopped = true
        }
      }),
    },
  })
  // random 1 → the upper bound of each jittered delay: 1 s, 2 s, 4 s ...
  const actor = createActor(machine, { clock, input: { name: "slack", random: () => 1 } })
  actor.subscribe({ error: (e) => errors.push(e) })
  for (const type of ["adapter.connected", "adapter.invalidCredentials", "adapter.inputEnded"] as const) {
    actor.on(type, (e) => emitted.push(e))
  }
  actor.start()
  const state = () => actor.getSnapshot().value
  const last = () => sessions.at(-1)!
  return { actor, clock, sessions, emitted, errors, state, last }
}

describe("adapterConnectionMachine", () => {
  it("opens a session and follows it to connected", () => {
    const t = start()
    expect(t.state()).toEqual({ session: "connecting" })
    expect(t.sessions).toHaveLength(1)
    t.last().status({ _tag: "Connecting" })
    t.last().status({ _tag: "Connected" })
    expect(t.state()).toEqual({ session: "connected" })
    expect(t.emitted).toEqual([{ type: "adapter.connected", name: "slack" }])
  })

  it("backs off after a disconnect, closes the dead session, opens a new one, with growing delays", () => {
    const t = start()
    t.last().status({ _tag: "Connected" })
    t.last().status({ _tag: "Disconnected", reason: "socket closed" })
    expect(t.state()).toBe("reconnecting")
    expect(t.sessions[0]!.stopped).toBe(true)
    expect(t.actor.getSnapshot().context).toMatchObject({
      attempt: 1,
      lastReason: "socket closed",
      retryDelayMs: 1000,
    })
    t.clock.increment(999)
    expect(t.sessions).toHaveLength(1)
    t.clock.increment(1)
    expect(t.state()).toEqual({ session: "connecting" })
    expect(t.sessions).toHaveLength(2)
    expect(t.last().input).toEqual({ name: "slack", attempt: 1 })
    // fails again before connecting: the next wait doubles
    t.last().status({ _tag: "Stopped", reason: "closed" })
    expect(t.actor.getSnapshot().context.retryDelayMs).toBe(2000)
    t.clock.increment(2000)
    t.last().status({ _tag: "Connected" })
    expect(t.state()).toEqual({ session: "connected" })
  })

  it("resets the backoff after a healthy period connected", () => {
    const t = start()
    t.last().status({ _tag: "Disconnected", reason: "x" })
    t.clock.increment(1000)
    t.last().status({ _tag: "Connected" })
    expect(t.actor.getSnapshot().context.attempt).toBe(1)
    t.clock.increment(HEALTHY_PERIOD_MS)
    expect(t.actor.getSnapshot().context.attempt).toBe(0)
  })

  it("lets a self-healing SDK resume without tearing the session down", () => {
    const t = start()
    t.last().status({ _tag: "Connected" })
    t.last().status({ _tag: "Reconnecting", reason: "gateway resume" })
    expect(t.state()).toEqual({ session: "resuming" })
    expect(t.sessions[0]!.stopped).toBe(false)
    t.last().status({ _tag: "Connected" })
    expect(t.state()).toEqual({ session: "connected" })
    expect(t.sessions).toHaveLength(1)
  })

  it("gives up on a resume or a connect that takes too long, and starts over", () => {
    const t = start()
    t.last().status({ _tag: "Connected" })
    t.last().status({ _tag: "Reconnecting", reason: "gateway resume" })
    t.clock.increment(CONNECT_TIMEOUT_MS)
    expect(t.state()).toBe("reconnecting")
    expect(t.actor.getSnapshot().context.lastReason).toBe("timed out resuming")
    expect(t.sessions[0]!.stopped).toBe(true)
    t.clock.increment(1000)
    t.clock.increment(CONNECT_TIMEOUT_MS)
    expect(t.actor.getSnapshot().context.lastReason).toBe("timed out connecting")
  })

  it("stops at invalid credentials, says why, keeps running, and retries only when told", () => {
    const t = start()
    t.last().status({ _tag: "InvalidCredentials", reason: "invalid_auth" })
    expect(t.state()).toBe("invalidCredentials")
    expect(t.actor.getSnapshot().status).toBe("active")
    expect(t.emitted).toContainEqual({
      type: "adapter.invalidCredentials",
      name: "slack",
      reason: "invalid_auth",
    })
    expect(t.sessions[0]!.stopped).toBe(true)
    t.clock.increment(10 * 60_000)
    expect(t.sessions).toHaveLength(1) // no retry loop against a rejected token
    t.actor.send({ type: "RETRY" })
    expect(t.state()).toEqual({ session: "connecting" })
    expect(t.sessions).toHaveLength(2)
  })

  it("reports the end of piped input", () => {
    const t = start()
    t.last().status({ _tag: "Connected" })
    t.last().status({ _tag: "Stopped", reason: "inputEnded" })
    expect(t.state()).toBe("inputEnded")
    expect(t.emitted.at(-1)).toEqual({ type: "adapter.inputEnded", name: "slack" })
  })

  it("treats a failing connection child as a lost session, never as its own failure", () => {
    const clock = new SimulatedClock()
    const errors: unknown[] = []
    const machine = adapterConnectionMachine.provide({
      actors: {
        connection: fromCallback<AdapterConnectionEvent, AdapterConnectionChildInput>(() => {
          throw new Error("boom")
        }),
      },
    })
    const actor = createActor(machine, { clock, input: { name: "x", random: () => 1 } })
    actor.subscribe({ error: (e) => errors.push(e) })
    actor.start()
    expect(actor.getSnapshot().value).toBe("reconnecting")
    expect(actor.getSnapshot().context.lastReason).toBe("the connection failed: boom")
    expect(errors).toEqual([])
  })

  it("stops from any state on STOP, closing the session", () => {
    for (const prepare of [
      (_t: ReturnType<typeof start>) => {},
      (t: ReturnType<typeof start>) => t.last().status({ _tag: "Connected" }),
      (t: ReturnType<typeof start>) => t.last().status({ _tag: "Disconnected", reason: "x" }),
      (t: ReturnType<typeof start>) => t.last().status({ _tag: "InvalidCredentials", reason: "x" }),
    ]) {
      const t = start()
      prepare(t)
      t.actor.send({ type: "STOP" })
      expect(t.actor.getSnapshot().status).toBe("done")
      expect(t.sessions.every((s) => s.stopped)).toBe(true)
    }
  })

  it("drives a real adapter through adapterConnectionLogic: disconnect, backoff, fresh session", async () => {
    const clock = new SimulatedClock()
    const chat = makeFakeChatAdapter({ connected: false })
    const actor = createActor(
      adapterConnectionMachine.provide({ actors: { connection: adapterConnectionLogic(chat) } }),
      { clock, input: { name: chat.name, random: () => 1 } },
    )
    actor.subscribe({ error: () => {} })
    actor.start()
    await flush()
    expect(actor.getSnapshot().value).toEqual({ session: "connected" })
    expect(chat.sessions()).toEqual({ opened: 1, open: 1 })
    chat.disconnect({ reason: "socket closed" })
    await flush()
    expect(actor.getSnapshot().value).toBe("reconnecting")
    await flush()
    expect(chat.sessions()).toEqual({ opened: 1, open: 0 })
    clock.increment(1000)
    await flush()
    expect(chat.sessions()).toEqual({ opened: 2, open: 1 })
    expect(actor.getSnapshot().value).toEqual({ session: "connected" })
    actor.send({ type: "STOP" })
    await flush()
    expect(chat.sessions().open).toBe(0)
  })
})
