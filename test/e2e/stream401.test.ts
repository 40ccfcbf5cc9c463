import { expect, it } from "vitest"
import { harnessPerTest, resultsSurviveFault, streamFailures } from "./harness.ts"

const startHarness = harnessPerTest()

it("gets a fresh token when the stream reconnect is refused with 401, and resumes", async () => {
  const harness = await startHarness()
  await resultsSurviveFault(harness, "s401", {
    // The connected stream is dropped after its token expired: the reconnect meets a 401.
    inject: () => {
      harness.sandbox.faults.expireAllTokens()
      harness.sandbox.faults.dropStreams()
    },
    heal: () => undefined,
  })
  expect(streamFailures(harness).some((r) => /401|expired|Unauthorized/i.test(r))).toBe(true)
})
