import { describe, expect, it } from "vitest"
import { createActor, fromPromise, SimulatedClock } from "xstate"
import { type AliasLoadOutput, aliasSyncMachine } from "../../src/machines/aliasSyncMachine.ts"

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

const start = (outcomes: Array<"ok" | "fail">) => {
  const clock = new SimulatedClock()
  const { load, calls } = scripted(outcomes)
  const actor = createActor(aliasSyncMachine.provide({ actors: { load } }), {
    clock,
    input: { refreshIntervalMs: 60_000, retryBaseMs: 1_000, retryCapMs: 8_000, random: () => 1 },
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
})
