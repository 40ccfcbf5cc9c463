import { afterEach, expect, it } from "vitest"
import { type Harness, resultsSurviveFault, startHarness, streamFailures, waitFor } from "./harness.ts"

let h: Harness | undefined
afterEach(async () => {
  await h?.stop()
  h = undefined
})

it("delivers every result announced after StackStorm restarted on the same port", async () => {
  h = await startHarness()
  const harness = h
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
