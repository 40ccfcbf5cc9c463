import { describe, expect, it } from "vitest"
import { createActor, fromPromise, SimulatedClock } from "xstate"
import {
  type AliasLoadOutput,
  type AliasSyncInput,
  aliasSyncMachine,
} from "../../src/machines/aliasSyncMachine.ts"

const out: AliasLoadOutput = { aliases: 3, formats: 5, rejected: 0 }
const flush = () => new Promise((r) => setTimeout(r, 0))

/** A `load` actor whose outcomes are scripted; each call takes the next one. */
const scripted = (outcomes: Array<"ok" | "fail">) => {
  const calls = { n: 0 }
  const load = fromPromise<AliasLoadOutput>(async () => {
    const o = outcomes[calls.n++] ?? "ok"
    if (o === "fail") throw new Error("st2 down")
    return out
  })
  return { load, calls }
}

const start = (outcomes: Array<"ok" | "fail">, input: Partial<AliasSyncInput> = {}) => {
  const clock = new SimulatedClock()
  const { load, calls } = scripted(outcomes)
  const actor = createActor(aliasSyncMachine.provide({ actors: { load } }), {
    clock,
    input: { refreshIntervalMs: 60_000, retryBaseMs: 1_000, retryCapMs: 8_000, random: () => 1, ...input },
  })
  actor.start()
  return { actor, clock, calls }
}

describe("aliasSyncMachine", () => {
  it("loads, then refreshes every refresh interval", async () => {
    const { actor, clock, calls } = start(["ok", "ok"])
    await flush()
    expect(actor.getSnapshot().value).toBe("ready")
    expect(actor.getSnapshot().context.last).toEqual(out)
    clock.increment(59_999)
    expect(actor.getSnapshot().value).toBe("ready")
    clock.increment(1)
    expect(actor.getSnapshot().value).toBe("refreshing")
    await flush()
    expect(actor.getSnapshot().value).toBe("ready")
    expect(calls.n).toBe(2)
  })

  it("retries a failed first load with growing, capped backoff", async () => {
    const { actor, clock, calls } = start(["fail", "fail", "fail", "fail", "fail", "ok"])
    const waits: number[] = []
    for (let i = 0; i < 5; i++) {
      await flush()
      expect(actor.getSnapshot().value).toBe("retrying")
      let waited = 0
      while (actor.getSnapshot().value === "retrying") {
        clock.increment(500)
        waited += 500
      }
      waits.push(waited)
    }
    await flush()
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 8_000])
    expect(actor.getSnapshot().value).toBe("ready")
    expect(actor.getSnapshot().context.failures).toBe(0)
    expect(calls.n).toBe(6)
  })

  it("keeps the last good set when a refresh fails, and retries it", async () => {
    const { actor, clock } = start(["ok", "fail", "ok"])
    await flush()
    actor.send({ type: "REFRESH" })
    await flush()
    expect(actor.getSnapshot().value).toBe("stale")
    expect(actor.getSnapshot().context.last).toEqual(out)
    clock.increment(1_000)
    await flush()
    expect(actor.getSnapshot().value).toBe("ready")
  })

  it("REFRESH starts a load at once, even while waiting to retry", async () => {
    const { actor, calls } = start(["fail", "ok"])
    await flush()
    expect(actor.getSnapshot().value).toBe("retrying")
    actor.send({ type: "REFRESH" })
    await flush()
    expect(actor.getSnapshot().value).toBe("ready")
    expect(calls.n).toBe(2)
  })

  it("caps the default backoff at 10 s (timer_update 60 s)", async () => {
    const { actor, clock } = start(Array(9).fill("fail"), { retryCapMs: undefined })
    const waits: number[] = []
    for (let i = 0; i < 8; i++) {
      await flush()
      let waited = 0
      while (actor.getSnapshot().value === "retrying") {
        clock.increment(500)
        waited += 500
      }
      waits.push(waited)
    }
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000, 10_000])
  })

  it("RETRY_NOW while waiting to retry the first load loads at once; a burst of them loads once", async () => {
    const { actor, clock, calls } = start(["fail", "fail", "fail", "fail", "ok"], { retryCapMs: 10_000 })
    for (let i = 0; i < 3; i++) {
      await flush()
      while (actor.getSnapshot().value === "retrying") clock.increment(500)
    }
    await flush()
    expect(actor.getSnapshot().value).toBe("retrying")
    expect(calls.n).toBe(4)
    clock.increment(1_000) // the gap after the failure; the backoff itself is 8 s
    for (let i = 0; i < 20; i++) actor.send({ type: "RETRY_NOW" })
    expect(actor.getSnapshot().value).toBe("loading")
    await flush()
    expect(actor.getSnapshot().value).toBe("ready")
    expect(calls.n).toBe(5)
    for (let i = 0; i < 5; i++) actor.send({ type: "RETRY_NOW" })
    expect(actor.getSnapshot().value).toBe("ready")
  })

  it("RETRY_NOW right after a failure loads when the gap ends; in stale it refreshes", async () => {
    const { actor, clock, calls } = start(["fail", "ok", "fail", "ok"], { retryBaseMs: 8_000 })
    await flush()
    actor.send({ type: "RETRY_NOW" })
    expect(actor.getSnapshot().value).toBe("retrying")
    clock.increment(999)
    expect(calls.n).toBe(1)
    clock.increment(1)
    expect(actor.getSnapshot().value).toBe("loading")
    await flush()
    expect(actor.getSnapshot().value).toBe("ready")
    actor.send({ type: "REFRESH" })
    await flush()
    expect(actor.getSnapshot().value).toBe("stale")
    clock.increment(1_000)
    actor.send({ type: "RETRY_NOW" })
    expect(actor.getSnapshot().value).toBe("refreshing")
    await flush()
    expect(actor.getSnapshot().value).toBe("ready")
    expect(calls.n).toBe(4)
  })
})
