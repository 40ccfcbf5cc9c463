import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { PendingResults, resultKey } from "../../src/bot/PendingResults.ts"

const make = () => Effect.runSync(Effect.provide(PendingResults, PendingResults.layer))
const context = (messageId: string) => ({
  adapter: "fake",
  messageId,
  user: { id: "u", name: "u", handle: "u" },
  isDirect: false,
})
const url = (id: string) => `https://st2.example.com/#/history/${id}/general`

describe("PendingResults: the executions behind owed results", () => {
  it("links a result to its command's execution while it is owed, and forgets it once settled", () => {
    const pending = make()
    const key = resultKey("fake", "m1")
    pending.expect(key, 1)
    pending.started(key, { id: "e1", web_url: url("e1") })
    expect(pending.linkOf(context("m1"), "any text")).toBe(url("e1"))
    expect(pending.linkOf(context("m2"), "any text")).toBeUndefined()
    pending.settle(context("m1"), "any text")
    expect(pending.linkOf(context("m1"), "any text")).toBeUndefined()
    expect(Effect.runSync(pending.outstanding)).toBe(0)
  })

  it("for a command with several executions, links the one the result names, else none", () => {
    const pending = make()
    const key = resultKey("fake", "multi")
    pending.expect(key, 2)
    pending.started(key, { id: "aaa111", web_url: url("aaa111") })
    pending.started(key, { id: "bbb222", web_url: url("bbb222") })
    expect(pending.linkOf(context("multi"), "execution: bbb222 done")).toBe(url("bbb222"))
    expect(pending.linkOf(context("multi"), "a custom template")).toBeUndefined()
    pending.settle(context("multi"), "execution: bbb222 done")
    // One left: it is the only candidate.
    expect(pending.linkOf(context("multi"), "a custom template")).toBe(url("aaa111"))
  })

  it("keeps no execution for a result that came before its ack, nor beyond what is owed", () => {
    const pending = make()
    const key = resultKey("fake", "fast")
    pending.expect(key, 1)
    pending.settle(context("fast"))
    pending.started(key, { id: "late", web_url: url("late") })
    expect(pending.linkOf(context("fast"), "")).toBeUndefined()
    pending.expect(key, 1)
    pending.started(key, { id: "e1", web_url: url("e1") })
    pending.started(key, { id: "e2", web_url: url("e2") })
    expect(pending.linkOf(context("fast"), "e2")).toBe(url("e1"))
  })
})
