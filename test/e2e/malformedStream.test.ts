import { expect, it } from "vitest"
import {
  aliasesLoaded,
  harnessPerTest,
  isRunResult,
  streamConnected,
  streamConnects,
  waitFor,
} from "./harness.ts"

const startHarness = harnessPerTest()

it("logs and skips announcements it cannot decode, and keeps delivering results", async () => {
  const harness = await startHarness()
  await aliasesLoaded(harness)
  await streamConnected(harness)
  const connects = streamConnects(harness)
  harness.fake.addRoom("ops")
  // Shapes no announcement has: a payload that is a list, a number for the message, a string
  // for whisper, no payload at all (the sandbox wraps what it is given in {payload}).
  const bad: ReadonlyArray<object> = [
    [1, 2, 3],
    { message: 42, channel: "#ops" },
    { message: "whispered?", channel: "#ops", whisper: "yes" },
    { message: "no extra", channel: "#ops", extra: "not an object" },
  ]
  for (const payload of bad) harness.sandbox.announce("errbot", payload)
  // A well-formed announcement for a room that does not exist: logged as not delivered.
  harness.sandbox.announce("errbot", { message: "lost", channel: "#nowhere", user: null })
  // Then a real command, and a workflow's announcement, both delivered.
  harness.fake.say("alice", "ops", "!st2 run date on localhost")
  harness.sandbox.announce("errbot", { message: "from a workflow", channel: "#ops" })
  await waitFor(
    () =>
      harness.fake.outbound.some(isRunResult) &&
      harness.fake.outbound.some((m) => m.text === "from a workflow"),
    "the result and the workflow's message",
  )
  const skipped = harness.logs.filter((l) => l.message.startsWith("announcement skipped"))
  expect(skipped).toHaveLength(bad.length)
  expect(
    harness.logs.some(
      (l) =>
        l.level === "ERROR" &&
        /not delivered|undeliverable/.test(l.message) &&
        String(l.annotations.reason).includes("#nowhere"),
    ),
  ).toBe(true)
  // Nothing of the bad ones reached chat, and the stream never had to reconnect.
  expect(harness.fake.outbound.map((m) => m.text)).not.toContain("whispered?")
  expect(harness.fake.outbound.map((m) => m.text)).not.toContain("lost")
  expect(streamConnects(harness)).toBe(connects)
})
