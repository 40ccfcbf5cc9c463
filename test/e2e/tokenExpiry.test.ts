import { expect, it } from "vitest"
import {
  aliasesLoaded,
  type Harness,
  harnessPerTest,
  isFailureAnswer,
  isRunAck,
  isRunResult,
  outstanding,
  streamConnected,
  waitFor,
} from "./harness.ts"

const startHarness = harnessPerTest()

const burst = 40

/** How many times the bot got a token (first login and every renewal). */
const loginCount = (harness: Harness) =>
  harness.logs.filter((l) => /^(authenticated to|renewed the StackStorm token)/.test(l.message)).length

it("runs every command of a burst although every token expires in the middle of it", async () => {
  // Two users, four commands each at a time, a slow API: the burst is spread out, so the tokens
  // expire while some commands are done, some in flight and some not started.
  const harness = await startHarness({ perUserConcurrency: 4 })
  await aliasesLoaded(harness)
  await streamConnected(harness)
  const logins = loginCount(harness)
  const rooms = ["b0", "b1", "b2", "b3"]
  const acks = () => harness.fake.outbound.filter(isRunAck)
  const results = () => harness.fake.outbound.filter(isRunResult)
  harness.sandbox.faults.setApiMode({ delayMs: 40 })
  for (let i = 0; i < burst; i++)
    harness.fake.say(`u${i % 2}`, rooms[i % rooms.length], "!st2 run date on localhost")
  await waitFor(() => acks().length >= 5, "the first acks")
  expect(acks().length).toBeLessThan(burst)
  harness.sandbox.faults.expireAllTokens()
  harness.sandbox.faults.setApiMode("ok")
  await waitFor(
    () => results().length === burst && acks().length === burst,
    () => `${burst} acks and results (got ${acks().length} and ${results().length})`,
  )
  expect(harness.fake.outbound.filter(isFailureAnswer)).toEqual([])
  expect(harness.sandbox.executions()).toHaveLength(burst)
  // The expiry was met and healed: the bot logged in again.
  expect(loginCount(harness)).toBeGreaterThan(logins)
  await waitFor(() => outstanding(harness) === 0, "no result still owed")
})

it("renews a short-lived token again and again without failing a command", async () => {
  // Tokens live 1 s: the bot renews before expiry, and a command that meets an expired one retries.
  const harness = await startHarness({ sandbox: { tokenTtlSeconds: 1 } })
  await aliasesLoaded(harness)
  await streamConnected(harness)
  const waves = 4
  for (let w = 0; w < waves; w++) {
    for (let i = 0; i < 5; i++) harness.fake.say(`w${i}`, "ttl", "!st2 run date on localhost")
    await waitFor(
      () => harness.fake.outbound.filter(isRunResult).length === (w + 1) * 5,
      () => `the results of wave ${w}`,
    )
    // Let the current token age past its lifetime before the next wave.
    if (w < waves - 1) harness.sandbox.faults.expireAllTokens()
  }
  expect(harness.fake.outbound.filter(isRunAck)).toHaveLength(waves * 5)
  expect(loginCount(harness)).toBeGreaterThanOrEqual(waves)
  expect(harness.fake.outbound.filter(isFailureAnswer)).toEqual([])
})
