import { expect, it } from "vitest"
import {
  aliasesLoaded,
  childState,
  harnessPerTest,
  isRunAck,
  isRunResult,
  streamConnected,
  waitFor,
} from "./harness.ts"

const startHarness = harnessPerTest()

it("answers 'not reachable' while StackStorm is down at start, then works once it is back", async () => {
  // A short credential wait: a command typed while st2 is down is answered in about a second.
  const h = await startHarness({
    beforeBot: (sandbox) => sandbox.faults.setApiMode("unavailable"),
    credentialWaitMs: 500,
  })
  const harness = h
  harness.fake.say("early", "down", "!st2 run date on localhost")
  harness.fake.say("early", "down", "!st2help")
  await waitFor(() => harness.fake.outbound.filter((m) => m.to === "#down").length === 2, "two answers")
  const texts = harness.fake.outbound.filter((m) => m.to === "#down").map((m) => m.text)
  for (const text of texts) expect(text).toMatch(/StackStorm is not reachable right now|cannot log in/)
  expect(texts.some((t) => t.includes("your command was not run"))).toBe(true)
  expect(harness.sandbox.executions()).toHaveLength(0)
  // Nothing loaded, nothing connected while st2 is down.
  expect(childState(harness.bot, "aliasSync")).not.toBe("ready")

  harness.sandbox.faults.setApiMode("ok")
  await aliasesLoaded(harness)
  await streamConnected(harness)
  harness.fake.say("later", "up", "!st2 run date on localhost")
  harness.fake.say("later", "up", "!st2help")
  await waitFor(
    () => harness.fake.outbound.filter((m) => m.to === "#up").length === 3,
    "ack, help and result in #up",
  )
  const up = harness.fake.outbound.filter((m) => m.to === "#up")
  expect(up.filter(isRunAck)).toHaveLength(1)
  expect(up.filter(isRunResult)).toHaveLength(1)
  expect(up.some((m) => m.text.includes("!st2 run {{cmd}} on {{hosts=localhost}}"))).toBe(true)
})
