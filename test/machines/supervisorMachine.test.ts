import { describe, expect, it } from "vitest"
import { HashSet } from "effect"
import { type AnyActorRef, createActor, fromCallback, SimulatedClock } from "xstate"
import type { CommandRequest } from "../../src/bot/CommandRequest.ts"
import { chatSessionMachine } from "../../src/machines/chatSessionMachine.ts"
import { makeSupervisorMachine } from "../../src/machines/supervisorMachine.ts"

const flush = () => new Promise((r) => setTimeout(r, 0))
const idle = fromCallback(() => () => {})
const req = (id: string, user: string): CommandRequest => ({
  id,
  adapter: "fake",
  sessionKey: `fake:${user}`,
  command: { _tag: "Run", command: id },
  message: {},
})

const build = (opts: { failing?: { starts: number }; commandsHang?: boolean } = {}) => {
  const clock = new SimulatedClock()
  const ran: Array<{ id: string; session: string }> = []
  const release = new Map<string, () => void>()
  const runCommand = ({ self }: { self: AnyActorRef }, request: CommandRequest) => {
    ran.push({ id: request.id, session: request.sessionKey })
    const done = () => self.send({ type: "COMMAND_DONE", requestId: request.id })
    if (opts.commandsHang) release.set(request.id, done)
    else queueMicrotask(done)
  }
  const starts = { stream: 0 }
  const stream = fromCallback(() => {
    starts.stream++
    if (opts.failing && starts.stream <= opts.failing.starts) throw new Error("stream child crashed")
    return () => {}
  })
  const machine = makeSupervisorMachine(["fake"]).provide({
    actors: {
      credential: idle,
      aliasSync: idle,
      stream,
      adapter: idle,
      chatSession: chatSessionMachine.provide({
        actions: {
          runCommands: (x, rs) => {
            for (const r of rs) runCommand(x, r)
          },
        },
      }),
    },
  })
  const errors: unknown[] = []
  const actor = createActor(machine, {
    clock,
    input: {
      authMode: "standalone",
      sessionIdleMs: 10_000,
      sessionMaxInFlight: 4,
      drainTimeoutMs: 5_000,
      restartBaseMs: 1_000,
      restartCapMs: 4_000,
      random: () => 1,
    },
  })
  actor.subscribe({ error: (e) => errors.push(e) })
  actor.start()
  return { actor, clock, ran, starts, release, errors }
}

const value = (a: { getSnapshot(): { value: unknown } }) =>
  a.getSnapshot().value as Record<string, Record<string, string>>

describe("supervisorMachine", () => {
  it("starts every child under one root, one region each", () => {
    const { actor } = build()
    const children = Object.keys(actor.getSnapshot().children).sort()
    expect(children).toEqual(["adapter:fake", "aliasSync", "credential", "stream"])
    expect(value(actor).up).toMatchObject({
      lifecycle: "accepting",
      stream: "running",
      "adapter:fake": "running",
    })
  })

  it("spawns one session per chat user and routes each command to it", async () => {
    const { actor, ran } = build()
    actor.send({ type: "COMMAND", request: req("c1", "alice") })
    actor.send({ type: "COMMAND", request: req("c2", "bob") })
    actor.send({ type: "COMMAND", request: req("c3", "alice") })
    await flush()
    expect(ran.map((r) => r.id)).toEqual(["c1", "c2", "c3"])
    expect(Object.keys(actor.getSnapshot().context.sessions).sort()).toEqual(["fake:alice", "fake:bob"])
    expect(HashSet.size(actor.getSnapshot().context.busy)).toBe(0)
  })

  it("forgets a session that closed when idle and spawns a fresh one for the next command", async () => {
    const { actor, clock, ran } = build()
    actor.send({ type: "COMMAND", request: req("c1", "alice") })
    await flush()
    clock.increment(10_000)
    await flush()
    expect(actor.getSnapshot().context.sessions).toEqual({})
    actor.send({ type: "COMMAND", request: req("c2", "alice") })
    await flush()
    expect(ran.map((r) => r.id)).toEqual(["c1", "c2"])
    expect(actor.getSnapshot().context.sessions).toEqual({ "fake:alice": "session.1" })
  })

  it("restarts a failing child from a visible restarting state with growing backoff; the root survives", async () => {
    const { actor, clock, starts, errors } = build({ failing: { starts: 3 } })
    await flush()
    expect(value(actor).up!.stream).toBe("restarting")
    clock.increment(1_000) // 1st restart after 1 s
    await flush()
    expect(starts.stream).toBe(2)
    expect(value(actor).up!.stream).toBe("restarting")
    clock.increment(1_999)
    expect(starts.stream).toBe(2)
    clock.increment(1) // 2nd after 2 s
    await flush()
    expect(starts.stream).toBe(3)
    clock.increment(4_000) // 3rd after 4 s (cap)
    await flush()
    expect(starts.stream).toBe(4)
    expect(value(actor).up!.stream).toBe("running")
    expect(actor.getSnapshot().status).toBe("active")
    expect(errors).toEqual([])
  })

  it("on SHUTDOWN refuses new commands, waits for in-flight ones, then stops every child", async () => {
    const { actor, release, ran } = build({ commandsHang: true })
    actor.send({ type: "COMMAND", request: req("c1", "alice") })
    await flush()
    expect([...HashSet.values(actor.getSnapshot().context.busy)]).toEqual(["fake:alice"])
    actor.send({ type: "SHUTDOWN" })
    expect(value(actor).up!.lifecycle).toBe("draining")
    actor.send({ type: "COMMAND", request: req("late", "bob") })
    await flush()
    expect(ran.map((r) => r.id)).toEqual(["c1"])
    release.get("c1")!()
    await flush()
    expect(actor.getSnapshot().value).toBe("stopped")
    expect(actor.getSnapshot().status).toBe("done")
  })

  it("stops after the drain timeout even when a command never finishes", async () => {
    const { actor, clock } = build({ commandsHang: true })
    actor.send({ type: "COMMAND", request: req("c1", "alice") })
    await flush()
    actor.send({ type: "SHUTDOWN" })
    clock.increment(4_999)
    expect(actor.getSnapshot().status).toBe("active")
    clock.increment(1)
    expect(actor.getSnapshot().status).toBe("done")
  })
})
