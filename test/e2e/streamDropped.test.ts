import { expect, it } from "vitest"
import {
  harnessPerTest,
  resultsSurviveFault,
  streamConnects,
  streamFailures,
  streamReconnected,
} from "./harness.ts"

const startHarness = harnessPerTest()

it("delivers every result announced after the stream was dropped mid-run", async () => {
  const harness = await startHarness()
  await resultsSurviveFault(harness, "dropped", {
    inject: () => harness.sandbox.faults.dropStreams(),
    heal: () => undefined,
  })
  expect(streamFailures(harness).length).toBeGreaterThanOrEqual(1)
})

it("survives the stream being dropped again and again while commands run", async () => {
  const harness = await startHarness()
  await resultsSurviveFault(harness, "flapping", {
    inject: async () => {
      // Each drop hits the connection the previous recovery opened.
      for (let i = 0; i < 3; i++) {
        const connects = streamConnects(harness)
        harness.sandbox.faults.dropStreams()
        await streamReconnected(harness, connects)
      }
    },
    heal: () => undefined,
  })
  expect(streamFailures(harness).length).toBeGreaterThanOrEqual(3)
})
