import { expect, it } from "vitest"
import {
  aliasesLoaded,
  type Harness,
  harnessPerTest,
  isRunResult,
  resultsSurviveFault,
  streamConnected,
  waitFor,
} from "./harness.ts"

const startHarness = harnessPerTest()

/** Every state the supervisor's region for `child` has been in, in order, from now on. */
const recordRegion = (harness: Harness, child: string) => {
  const seen: unknown[] = []
  const record = (snapshot: { value: unknown }) => {
    const value = (snapshot.value as { up?: Record<string, unknown> }).up?.[child]
    if (value !== undefined && seen.at(-1) !== value) seen.push(value)
  }
  record(harness.bot.supervisor.getSnapshot())
  const sub = harness.bot.supervisor.subscribe(record)
  return { seen, stop: () => sub.unsubscribe() }
}

it("restarts the stream child when it ends, and every later result still reaches chat", async () => {
  const harness = await startHarness()
  const region = recordRegion(harness, "stream")
  const first = harness.bot.supervisor.system.get("stream")
  await resultsSurviveFault(harness, "sup-stream", {
    // The stream actor stops unexpectedly (as if it crashed): only the supervisor can bring it back.
    inject: () => first.send({ type: "STOP" }),
    heal: () => undefined,
  })
  region.stop()
  expect(region.seen).toEqual(["running", "restarting", "running"])
  expect(harness.bot.supervisor.system.get("stream")).not.toBe(first)
  expect(harness.bot.supervisor.getSnapshot().context.restarts.stream).toBe(1)
})

it("restarts a chat adapter's connection child when it ends, with a fresh chat session", async () => {
  const harness = await startHarness()
  await aliasesLoaded(harness)
  await streamConnected(harness)
  const region = recordRegion(harness, "adapter:fake")
  expect(harness.fake.sessions()).toEqual({ opened: 1, open: 1 })
  harness.bot.supervisor.system.get("adapter:fake").send({ type: "STOP" })
  await waitFor(() => harness.fake.sessions().opened === 2, "a second adapter session")
  await waitFor(() => region.seen.at(-1) === "running", "the adapter region running again")
  region.stop()
  expect(region.seen).toEqual(["running", "restarting", "running"])
  expect(harness.fake.sessions().open).toBe(1)
  harness.fake.say("alice", "after", "!st2 run date on localhost")
  await waitFor(() => harness.fake.outbound.some((m) => m.to === "#after" && isRunResult(m)), "a result")
})
