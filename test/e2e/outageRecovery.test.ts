import { describe, expect, it } from "vitest"
import type { InspectionEvent } from "xstate"
import type { AliasSyncContext } from "../../src/machines/aliasSyncMachine.ts"
import type { CredentialMachineContext } from "../../src/machines/credentialMachine.ts"
import { defaultCredentialTimings } from "../../src/machines/credentialMachine.ts"
import {
  aliasesLoaded,
  childState,
  type Harness,
  harnessPerTest,
  inquiryResults,
  isFailureAnswer,
  pendingInquiries,
  streamConnected,
  waitFor,
} from "./harness.ts"

const startHarness = harnessPerTest()

/**
 * StackStorm's auth and API answer 503 (nginx with st2 behind it down) from before the bot
 * starts, with the production backoff (1 s doubling to 10 s), not the harness's fast one.
 * `moves` records which event moved the credential and the alias sync into each state.
 */
const downFromStart = () => {
  const moves: Array<{ readonly actor: string; readonly event: string; readonly to: string }> = []
  const inspector = (e: InspectionEvent) => {
    if (e.type !== "@xstate.snapshot") return
    const actor = (e.actorRef as unknown as { systemId?: string }).systemId
    if (actor !== "credential" && actor !== "aliasSync") return
    const to = JSON.stringify((e.snapshot as { value?: unknown }).value)
    const last = moves.findLast((m) => m.actor === actor)
    if (last?.to !== to) moves.push({ actor, event: e.event.type, to })
  }
  return {
    moves,
    options: {
      beforeBot: (sandbox: Harness["sandbox"]) => sandbox.faults.setApiMode("unavailable"),
      credentialTimings: defaultCredentialTimings,
      inspector,
    },
  }
}

const credential = (h: Harness): CredentialMachineContext =>
  (
    h.bot.supervisor.system.get("credential") as { getSnapshot(): { context: CredentialMachineContext } }
  ).getSnapshot().context

const aliasSync = (h: Harness): AliasSyncContext =>
  (h.bot.supervisor.system.get("aliasSync") as { getSnapshot(): { context: AliasSyncContext } }).getSnapshot()
    .context

/**
 * Waits until the credential has failed `n` logins and both it and the alias load wait out a
 * backoff in which an early attempt may start at once (the gap after their last failure passed).
 */
const backingOff = (h: Harness, n: number) =>
  waitFor(
    () =>
      childState(h.bot, "credential") === "retrying" &&
      credential(h).attempt >= n &&
      credential(h).retryNow === "open" &&
      childState(h.bot, "aliasSync") === "retrying" &&
      aliasSync(h).retryNow === "open",
    () =>
      `${n} failed logins, both backing off (${JSON.stringify(childState(h.bot, "credential"))}, ${credential(h).attempt})`,
  )

describe("StackStorm's auth and API down, then back (production backoff timings)", () => {
  it("a command typed right after StackStorm is back runs at once instead of being refused, and its result arrives", async () => {
    const { moves, options } = downFromStart()
    const h = await startHarness(options)
    // Three failed logins: the next waits 2-4 s, the alias load's similar; neither is due now.
    await backingOff(h, 3)
    const healedAt = moves.length
    h.sandbox.faults.setApiMode("ok")
    // An inquiry: its result waits until the test expires it, so the stream (its own backoff,
    // up to 5 s) is surely back to carry it.
    h.fake.say("ann", "back", "!st2 ask are we back?")
    await waitFor(() => h.fake.outbound.some((m) => m.to === "#back"), "an answer in #back")
    const answers = h.fake.outbound.filter((m) => m.to === "#back")
    expect(answers.filter(isFailureAnswer)).toEqual([])
    expect(answers.filter((m) => /core\.ask/.test(m.text))).toHaveLength(1)
    expect(h.sandbox.executions()).toHaveLength(1)
    await waitFor(() => pendingInquiries(h).length === 1, "the inquiry pending in StackStorm")
    // The command pulled both forward: the login and the alias load after the fault healed
    // were started by RETRY_NOW, not by their backoff timers, and each succeeded at once.
    await aliasesLoaded(h)
    expect(moves.slice(healedAt)).toEqual([
      { actor: "credential", event: "RETRY_NOW", to: '"authenticating"' },
      { actor: "aliasSync", event: "RETRY_NOW", to: '"loading"' },
      { actor: "credential", event: "xstate.done.actor.0.credential.authenticating", to: expect.any(String) },
      { actor: "aliasSync", event: expect.stringMatching(/^xstate\.done\.actor/), to: '"ready"' },
    ])
    await streamConnected(h)
    h.sandbox.faults.expireInquiries()
    await waitFor(() => inquiryResults(h, "back").length === 1, "the inquiry's result in #back")
  })

  it("a login after a failure pulls a failed alias load forward (nobody typing)", async () => {
    const { moves, options } = downFromStart()
    const h = await startHarness(options)
    await backingOff(h, 3)
    const healedAt = moves.length
    h.sandbox.faults.setApiMode("ok")
    // The login that ends the outage, started here rather than by its timer so that it comes
    // while the alias load still waits out its own backoff.
    ;(h.bot.supervisor.system.get("credential") as { send(e: { type: "RETRY_NOW" }): void }).send({
      type: "RETRY_NOW",
    })
    await aliasesLoaded(h)
    const after = moves.slice(healedAt)
    expect(after.filter((m) => m.actor === "credential")).toEqual([
      { actor: "credential", event: "RETRY_NOW", to: '"authenticating"' },
      { actor: "credential", event: "xstate.done.actor.0.credential.authenticating", to: expect.any(String) },
    ])
    expect(after.filter((m) => m.actor === "aliasSync")).toEqual([
      // Sent by runBot when the credential logged in again (no command came), not the backoff's timer.
      { actor: "aliasSync", event: "RETRY_NOW", to: '"loading"' },
      { actor: "aliasSync", event: expect.stringMatching(/^xstate\.done\.actor/), to: '"ready"' },
    ])
  })

  it("during the outage, 20 users' commands cause one login attempt and are each answered at once", async () => {
    const h = await startHarness(downFromStart().options)
    await backingOff(h, 3)
    const before = credential(h).attempt
    for (let i = 0; i < 20; i++) h.fake.say(`user${i}`, "down", "!st2 run date on localhost")
    await waitFor(
      () => h.fake.outbound.filter((m) => m.to === "#down").length === 20,
      () => `20 answers (got ${h.fake.outbound.filter((m) => m.to === "#down").length})`,
    )
    for (const m of h.fake.outbound.filter((m) => m.to === "#down"))
      expect(m.text).toBe("stormbot cannot log in to StackStorm right now; your command was not run.")
    // One early login for all of them, not one each (and not none: they did not just wait).
    expect(credential(h).attempt).toBe(before + 1)
    expect(h.sandbox.executions()).toHaveLength(0)
  })
})
