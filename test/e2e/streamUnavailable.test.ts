import { expect, it } from "vitest"
import { type Harness, harnessPerTest, resultsSurviveFault, streamFailures, waitFor } from "./harness.ts"

const startHarness = harnessPerTest()

/** Puts the stream in `mode`, drops the live connection, and waits for `n` failed reconnects. */
const downFor = (harness: Harness, mode: "unavailable" | "nginx-retry", n: number) => ({
  inject: async () => {
    const before = streamFailures(harness).length
    harness.sandbox.faults.setStreamMode(mode)
    harness.sandbox.faults.dropStreams()
    await waitFor(
      () => streamFailures(harness).length >= before + n,
      () => `${n} failed reconnects (${streamFailures(harness).slice(before).join("; ")})`,
    )
  },
  heal: () => harness.sandbox.faults.setStreamMode("ok"),
})

it("keeps reconnecting while the stream answers 503, then delivers every later result", async () => {
  const h = await startHarness()
  await resultsSurviveFault(h, "s503", downFor(h, "unavailable", 3))
  expect(streamFailures(h).some((r) => r.includes("503"))).toBe(true)
})

it("treats nginx's `retry: 1000` answer as reconnect, never as give up", async () => {
  const h = await startHarness()
  await resultsSurviveFault(h, "nginx", downFor(h, "nginx-retry", 3))
})
