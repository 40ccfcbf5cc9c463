import { describe, expect, it } from "vitest"
import { aliasesLoaded, harnessPerTest, isRunAck, isRunResult, streamConnected, waitFor } from "./harness.ts"

const startHarness = harnessPerTest()

describe("a burst of one user's commands", () => {
  it("runs in the order typed, the first through the supervisor (it spawns the session) and the rest as one batch", async () => {
    // One command at a time per user: any reordering between the first command and the batch
    // behind it would show in the order StackStorm receives them.
    const h = await startHarness({ perUserConcurrency: 1 })
    await aliasesLoaded(h)
    await streamConnected(h)
    const tags = ["c1", "c2", "c3", "c4", "c5"]
    // Said in one tick: the intake gets them as one chunk, for a user without a session yet.
    for (const tag of tags) h.fake.say("zed", "order", `!st2 run echo ${tag} on localhost`)
    await waitFor(
      () => h.fake.outbound.filter((m) => m.to === "#order" && isRunResult(m)).length === tags.length,
      "five results",
    )
    const commands = (h.sandbox.executions() as ReadonlyArray<{ parameters?: { cmd?: string } }>).map(
      (e) => e.parameters?.cmd,
    )
    expect(commands).toEqual(tags.map((t) => `echo ${t}`))
    const acks = h.fake.outbound.filter((m) => m.to === "#order" && isRunAck(m)).map((m) => m.text)
    expect(acks.map((a) => /echo (c\d)/.exec(a)?.[1])).toEqual(tags)
    expect(h.bot.commandsInFlight()).toBe(0)
  })

  it("300 commands of one user reach StackStorm in the order typed with the default configuration (limits.per_user_concurrency 1)", async () => {
    // No override: the configuration's default decides. With 8 in flight per user, POSTs on
    // parallel connections overtook each other (6 inversions in 300 measured).
    const h = await startHarness()
    await aliasesLoaded(h)
    await streamConnected(h)
    const n = 300
    for (let i = 0; i < n; i++) h.fake.say("zed", "many", `!st2 run echo ${i} on localhost`)
    await waitFor(
      () => h.fake.outbound.filter((m) => m.to === "#many" && isRunResult(m)).length === n,
      () => `${n} results (got ${h.fake.outbound.filter((m) => m.to === "#many" && isRunResult(m)).length})`,
      30_000,
    )
    const order = (h.sandbox.executions() as ReadonlyArray<{ parameters?: { cmd?: string } }>).map((e) =>
      Number(/^echo (\d+)$/.exec(e.parameters?.cmd ?? "")?.[1]),
    )
    expect(order).toHaveLength(n)
    expect(inversions(order)).toBe(0)
    expect(order).toEqual(Array.from({ length: n }, (_, i) => i))
  })
})

/** Pairs (i < j) with `order[i] > order[j]`: 0 when every command ran in the order typed. */
const inversions = (order: ReadonlyArray<number>): number => {
  let count = 0
  for (let i = 0; i < order.length; i++)
    for (let j = i + 1; j < order.length; j++) if (order[i]! > order[j]!) count++
  return count
}
