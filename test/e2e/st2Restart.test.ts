import { expect, it } from "vitest"
import { harnessPerTest, resultsSurviveFault, streamFailures, waitFor } from "./harness.ts"

const startHarness = harnessPerTest()

it("delivers every result announced after StackStorm restarted on the same port", async () => {
  const harness = await startHarness()
  await resultsSurviveFault(harness, "restart", {
    inject: async () => {
      const before = streamFailures(harness).length
      await harness.sandbox.stop()
      // Down long enough for the bot to fail at least one reconnect against the closed port.
      await waitFor(() => streamFailures(harness).length >= before + 2, "reconnects against the closed port")
    },
    heal: () => harness.sandbox.start(),
  })
  expect(streamFailures(harness).some((r) => /unreachable|ECONNREFUSED/.test(r))).toBe(true)
})
