import { describe, expect, it } from "vitest"
import { type AnyActorRef, createActor, createMachine, SimulatedClock, sendTo } from "xstate"
import type { CommandRequest } from "../../src/bot/CommandRequest.ts"
import { chatSessionMachine } from "../../src/machines/chatSessionMachine.ts"

const req = (id: string): CommandRequest => ({
  id,
  adapter: "fake",
  sessionKey: "fake:alice",
  command: { _tag: "Run", command: id },
  message: {},
})
const flush = () => new Promise((r) => setTimeout(r, 0))

/** A `runCommand` whose commands end when the test says so, in any order. */
const controlled = () => {
  const pending = new Map<string, () => void>()
  const order: string[] = []
  const runCommand = ({ self }: { self: AnyActorRef }, request: CommandRequest) => {
    order.push(request.id)
    pending.set(request.id, () => self.send({ type: "COMMAND_DONE", requestId: request.id }))
  }
  const finish = async (id: string) => {
    pending.get(id)!()
    pending.delete(id)
    await flush()
  }
  return { runCommand, order, finish, pending }
}

/** A parent that records what the session tells it and forwards test events to the session. */
const withParent = (runCommand: ReturnType<typeof controlled>["runCommand"], clock: SimulatedClock) => {
  const told: string[] = []
  const parent = createMachine({
    invoke: {
      id: "session",
      src: chatSessionMachine.provide({
        actions: {
          runCommands: (x, rs) => {
            for (const r of rs) runCommand(x, r)
          },
        },
      }),
      input: { key: "fake:alice", authMode: "standalone", idleTimeoutMs: 1_000, maxInFlight: 2 },
    },
    on: {
      SESSION_BUSY: { actions: () => told.push("busy") },
      SESSION_IDLE: { actions: () => told.push("idle") },
      FORWARD: {
        actions: sendTo("session", ({ event }) => (event as unknown as { inner: object }).inner as never),
      },
    },
  })
  const actor = createActor(parent, { clock }).start()
  const session = () => actor.getSnapshot().children.session
  const send = (r: CommandRequest) =>
    actor.send({ type: "FORWARD", inner: { type: "COMMAND", request: r } } as never)
  return { actor, session, send, told }
}

describe("chatSessionMachine", () => {
  it("runs up to maxInFlight commands at once and queues the rest in order", async () => {
    const clock = new SimulatedClock()
    const c = controlled()
    const { session, send } = withParent(c.runCommand, clock)
    send(req("a"))
    send(req("b"))
    send(req("c"))
    send(req("d"))
    await flush()
    expect(c.order).toEqual(["a", "b"])
    expect(session()!.getSnapshot().value).toBe("busy")
    expect(session()!.getSnapshot().context).toMatchObject({ running: 2 })
    await c.finish("b")
    expect(c.order).toEqual(["a", "b", "c"])
    await c.finish("a")
    expect(c.order).toEqual(["a", "b", "c", "d"])
    await c.finish("c")
    expect(session()!.getSnapshot().value).toBe("busy")
    await c.finish("d")
    expect(session()!.getSnapshot().value).toBe("idle")
    expect(session()!.getSnapshot().context).toMatchObject({ running: 0, queued: [] })
  })

  it("tells its parent busy once and idle once for a whole burst, not per command", async () => {
    const clock = new SimulatedClock()
    const c = controlled()
    const { send, told } = withParent(c.runCommand, clock)
    for (const id of ["a", "b", "c", "d", "e"]) send(req(id))
    await flush()
    expect(told).toEqual(["busy"])
    for (const id of ["a", "b", "c", "d", "e"]) await c.finish(id)
    expect(c.order).toEqual(["a", "b", "c", "d", "e"])
    expect(told).toEqual(["busy", "idle"])
    send(req("f"))
    await flush()
    expect(told).toEqual(["busy", "idle", "busy"])
  })

  it("takes a burst as one COMMANDS event and ends several commands with one COMMANDS_DONE", async () => {
    const clock = new SimulatedClock()
    const c = controlled()
    const { actor, session, told } = withParent(c.runCommand, clock)
    const forward = (inner: object) => actor.send({ type: "FORWARD", inner } as never)
    forward({ type: "COMMANDS", requests: ["a", "b", "c", "d", "e"].map(req) })
    await flush()
    expect(c.order).toEqual(["a", "b"])
    expect(
      session()!
        .getSnapshot()
        .context.queued.map((r: CommandRequest) => r.id),
    ).toEqual(["c", "d", "e"])
    expect(told).toEqual(["busy"])
    // Two ended at once: two queued ones take their places, in order.
    forward({ type: "COMMANDS_DONE", count: 2 })
    await flush()
    expect(c.order).toEqual(["a", "b", "c", "d"])
    expect(session()!.getSnapshot().context).toMatchObject({ running: 2 })
    // More ended than are queued: the last queued one starts, the running count drops.
    forward({ type: "COMMANDS_DONE", count: 2 })
    await flush()
    expect(c.order).toEqual(["a", "b", "c", "d", "e"])
    expect(session()!.getSnapshot().context).toMatchObject({ running: 1, queued: [] })
    forward({ type: "COMMANDS", requests: [] })
    forward({ type: "COMMANDS_DONE", count: 1 })
    await flush()
    expect(session()!.getSnapshot().value).toBe("idle")
    expect(told).toEqual(["busy", "idle"])
    // An empty batch leaves an idle session idle (no busy/idle pair for nothing).
    forward({ type: "COMMANDS", requests: [] })
    await flush()
    expect(told).toEqual(["busy", "idle"])
  })

  it("closes itself after the idle timeout, not while busy", async () => {
    const clock = new SimulatedClock()
    const c = controlled()
    const { session, send } = withParent(c.runCommand, clock)
    send(req("a"))
    await flush()
    clock.increment(5_000)
    expect(session()!.getSnapshot().value).toBe("busy")
    await c.finish("a")
    clock.increment(999)
    expect(session()!.getSnapshot().status).toBe("active")
    clock.increment(1)
    expect(session()?.getSnapshot().status ?? "done").toBe("done")
  })

  it("runs the user's auth session as a child (standalone today)", () => {
    const { session } = withParent(controlled().runCommand, new SimulatedClock())
    expect(session()!.getSnapshot().children.auth!.getSnapshot().value).toBe("standalone")
  })
})
