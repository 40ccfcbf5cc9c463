import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { ChatSendPermanent, ChatSendTransient } from "../../src/adapters/ChatAdapterError.ts"
import { makeOutboundQueue, type OutboundJob, type OutboundOutcome } from "../../src/chat/OutboundQueue.ts"
import { captureLogs } from "./logCapture.ts"

/** A job that fails with the scripted errors first, then records its name. */
const scripted = (
  name: string,
  log: string[],
  script: Array<"transient" | "permanent" | number> = [],
): OutboundJob => ({
  label: name,
  run: Effect.suspend((): OutboundJob["run"] => {
    const next = script.shift()
    if (next === "transient")
      return Effect.fail(new ChatSendTransient({ adapter: "t", reason: `${name} busy` }))
    if (typeof next === "number") {
      return Effect.fail(new ChatSendTransient({ adapter: "t", reason: `${name} 429`, retryAfterMs: next }))
    }
    if (next === "permanent")
      return Effect.fail(new ChatSendPermanent({ adapter: "t", reason: `${name} channel_not_found` }))
    log.push(name)
    return Effect.void
  }),
})

describe("OutboundQueue", () => {
  it.scoped("is idle while a drained lane's worker lingers, and the lane takes later messages in order", () =>
    Effect.gen(function* () {
      const sent: string[] = []
      const queue = yield* makeOutboundQueue()
      yield* queue.enqueue("room", scripted("a1", sent))
      yield* queue.awaitIdle
      expect(yield* queue.pending).toBe(0)
      // The lane's worker is parked now; these reach it without a new one, still in order.
      yield* queue.enqueue("room", scripted("a2", sent, ["transient"]))
      yield* queue.enqueue("room", scripted("a3", sent))
      yield* TestClock.adjust("1 minute")
      yield* queue.awaitIdle
      expect(sent).toEqual(["a1", "a2", "a3"])
    }),
  )

  it.scoped("keeps a lane's order while its head is retried after transient failures", () =>
    Effect.gen(function* () {
      const sent: string[] = []
      const outcomes: OutboundOutcome[] = []
      const queue = yield* makeOutboundQueue({ onOutcome: (o) => outcomes.push(o) })
      yield* queue.enqueue("room", scripted("r1", sent, ["transient", "transient"]))
      yield* queue.enqueue("room", scripted("r2", sent))
      yield* queue.enqueue("room", scripted("r3", sent, ["transient"]))
      yield* Effect.yieldNow()
      expect(sent).toEqual([]) // r1 failed once and waits; r2 must not overtake it
      expect(yield* queue.pending).toBe(3)
      yield* TestClock.adjust("1 minute")
      yield* queue.awaitIdle
      expect(sent).toEqual(["r1", "r2", "r3"])
      expect(outcomes.map((o) => [o.label, o._tag, o.attempts])).toEqual([
        ["r1", "Delivered", 3],
        ["r2", "Delivered", 1],
        ["r3", "Delivered", 2],
      ])
    }),
  )

  it.scoped("does not let a stalled lane hold up another lane", () =>
    Effect.gen(function* () {
      const sent: string[] = []
      const queue = yield* makeOutboundQueue()
      yield* queue.enqueue("slow", scripted("s1", sent, [10_000]))
      yield* queue.enqueue("fast", scripted("f1", sent))
      yield* Effect.yieldNow()
      expect(sent).toEqual(["f1"])
      yield* TestClock.adjust("9999 millis")
      expect(sent).toEqual(["f1"]) // the platform's Retry-After is honoured
      yield* TestClock.adjust("1 millis")
      yield* queue.awaitIdle
      expect(sent).toEqual(["f1", "s1"])
    }),
  )

  it.scoped("logs a permanent failure with its reason and moves on to the next message", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      const sent: string[] = []
      const outcomes: OutboundOutcome[] = []
      const queue = yield* makeOutboundQueue({ onOutcome: (o) => outcomes.push(o) })
      yield* queue.enqueue("room", scripted("p1", sent, ["permanent"]))
      yield* queue.enqueue("room", scripted("p2", sent))
      yield* queue.awaitIdle
      expect(sent).toEqual(["p2"])
      expect(outcomes[0]).toMatchObject({
        _tag: "Failed",
        label: "p1",
        attempts: 1,
        reason: "p1 channel_not_found",
      })
      const line = logs.lines.find((l) => l.level === "ERROR")
      expect(line?.message).toBe("chat message not delivered")
      expect(line?.annotations).toMatchObject({ key: "room", job: "p1", reason: "p1 channel_not_found" })
    }).pipe(Effect.provide(logs.layer))
  })

  it.scoped("gives up after maxAttempts transient failures, loudly, and proceeds", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      const sent: string[] = []
      const outcomes: OutboundOutcome[] = []
      const queue = yield* makeOutboundQueue({
        retry: { maxAttempts: 3, initialDelay: "1 second" },
        onOutcome: (o) => outcomes.push(o),
      })
      yield* queue.enqueue("room", scripted("g1", sent, ["transient", "transient", "transient", "transient"]))
      yield* queue.enqueue("room", scripted("g2", sent))
      yield* TestClock.adjust("1 minute")
      yield* queue.awaitIdle
      expect(sent).toEqual(["g2"])
      expect(outcomes[0]).toMatchObject({
        _tag: "Failed",
        attempts: 3,
        reason: "gave up after 3 attempts: g1 busy",
      })
      expect(logs.lines.filter((l) => l.level === "WARN")).toHaveLength(2)
      expect(logs.lines.filter((l) => l.level === "ERROR")).toHaveLength(1)
    }).pipe(Effect.provide(logs.layer))
  })

  it.scoped("backs off exponentially between retries", () =>
    Effect.gen(function* () {
      const sent: string[] = []
      const queue = yield* makeOutboundQueue({ retry: { initialDelay: "1 second", maxDelay: "3 seconds" } })
      yield* queue.enqueue("room", scripted("b1", sent, ["transient", "transient", "transient"]))
      yield* Effect.yieldNow()
      // retries after 1 s, then 2 s, then 3 s (capped): 6 s in all
      yield* TestClock.adjust("5999 millis")
      expect(sent).toEqual([])
      yield* TestClock.adjust("1 millis")
      yield* queue.awaitIdle
      expect(sent).toEqual(["b1"])
    }),
  )
})
