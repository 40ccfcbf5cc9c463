import { expect, it } from "vitest"
import { aliasesLoaded, harnessPerTest, isRunAck, streamConnected, waitFor } from "./harness.ts"

const startHarness = harnessPerTest()

it("after a stream outage, says how many results were owed (st2's stream cannot replay); later ones still arrive", async () => {
  const harness = await startHarness({ sandbox: { resultDelayMs: 1_500 } })
  await aliasesLoaded(harness)
  await streamConnected(harness)
  harness.fake.say("alice", "ops", "!st2 run date on localhost")
  await waitFor(() => harness.fake.outbound.some(isRunAck), "the ack")
  const owedLine = () => harness.logs.find((l) => l.message.includes("result(s) were still owed"))
  expect(owedLine()).toBeUndefined()
  harness.sandbox.faults.dropStreams()
  await waitFor(() => owedLine() !== undefined, "the warning about owed results")
  expect(owedLine()!.message).toContain("1 result(s) were still owed")
  expect(owedLine()!.level).toBe("WARN")
  // The execution finishes after the stream is back: its result is delivered as usual.
  await waitFor(() => harness.fake.outbound.some((m) => /^localhost: /.test(m.text)), "the result")
})
