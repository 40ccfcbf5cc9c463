import { describe, expect, it } from "vitest"
import { createActor, createMachine, fromPromise, SimulatedClock, sendTo } from "xstate"
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

/** Commands that finish when the test resolves them, in any order. */
const controlled = () => {
  const pending = new Map<string, () => void>()
  const order: string[] = []
  const command = fromPromise<void, { request: CommandRequest; sessionKey: string }>(
    ({ input }) =>
      new Promise<void>((resolve, reject) => {
        order.push(input.request.id)
        pending.set(input.request.id, () =>
          input.request.id.startsWith("boom") ? reject(new Error("x")) : resolve(),
        )
      }),
  )
  const finish = async (id: string) => {
    pending.get(id)!()
    pending.delete(id)
    await flush()
  }
  return { command, order, finish, pending }
}

/** A parent that records COMMAND_FINISHED and forwards test events to the session. */
const withParent = (command: ReturnType<typeof controlled>["command"], clock: SimulatedClock) => {
  const finished: string[] = []
  const parent = createMachine({
    invoke: {
      id: "session",
      src: chatSessionMachine.provide({ actors: { command } }),
      input: { key: "fake:alice", authMode: "standalone", idleTimeoutMs: 1_000, maxInFlight: 2 },
    },
    on: {
      COMMAND_FINISHED: {
        actions: ({ event }) => finished.push((event as unknown as { requestId: string }).requestId),
      },
      FORWARD: {
        actions: sendTo("session", ({ event }) => (event as unknown as { inner: object }).inner as never),
      },
    },
  })
  const actor = createActor(parent, { clock }).start()
  const session = () => actor.getSnapshot().children.session
  const send = (r: CommandRequest) =>
    actor.send({ type: "FORWARD", inner: { type: "COMMAND", request: r } } as never)
  return { actor, session, send, finished }
}

describe("chatSessionMachine", () => {
  it("runs up to maxInFlight commands at once and queues the rest in order", async () => {
    const clock = new SimulatedClock()
    const c = controlled()
    const { session, send, finished } = withParent(c.command, clock)
    send(req("a"))
    send(req("b"))
    send(req("c"))
    send(req("d"))
    await flush()
    expect(c.order).toEqual(["a", "b"])
    expect(session()!.getSnapshot().value).toBe("busy")
    await c.finish("b")
    expect(c.order).toEqual(["a", "b", "c"])
    await c.finish("a")
    expect(c.order).toEqual(["a", "b", "c", "d"])
    await c.finish("c")
    await c.finish("d")
    expect(finished).toEqual(["b", "a", "c", "d"])
    expect(session()!.getSnapshot().value).toBe("idle")
  })

  it("counts a failed command as finished", async () => {
    const clock = new SimulatedClock()
    const c = controlled()
    const { session, send, finished } = withParent(c.command, clock)
    send(req("boom1"))
    await flush()
    await c.finish("boom1")
    expect(finished).toEqual(["boom1"])
    expect(session()!.getSnapshot().value).toBe("idle")
  })

  it("closes itself after the idle timeout, not while busy", async () => {
    const clock = new SimulatedClock()
    const c = controlled()
    const { session, send } = withParent(c.command, clock)
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
    const { session } = withParent(controlled().command, new SimulatedClock())
    expect(session()!.getSnapshot().children.auth!.getSnapshot().value).toBe("standalone")
  })
})
