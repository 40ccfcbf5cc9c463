import { afterEach, expect, it } from "vitest"
import { type Harness, resultsSurviveFault, startHarness, streamFailures } from "./harness.ts"

let h: Harness | undefined
afterEach(async () => {
  await h?.stop()
  h = undefined
})

it("gets a fresh token when the stream reconnect is refused with 401, and resumes", async () => {
  h = await startHarness()
  const harness = h
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
