import { expect, it } from "vitest"
import { aliasesLoaded, type Harness, harnessPerTest, isRunAck, streamConnected, waitFor } from "./harness.ts"

const startHarness = harnessPerTest()

const inFlight = (harness: Harness) => harness.bot.commandsInFlight()

it("shutdown refuses new commands, lets an in-flight one finish and answer, then stops every child", async () => {
  const harness = await startHarness()
  await aliasesLoaded(harness)
  await streamConnected(harness)
  harness.sandbox.faults.setApiMode({ delayMs: 600 })
  harness.fake.say("alice", "ops", "!st2 run date on localhost")
  await waitFor(() => inFlight(harness) === 1, "the command to be in flight")
  harness.bot.supervisor.send({ type: "SHUTDOWN" })
  harness.fake.say("bob", "ops", "!st2 run uptime on localhost")
  await waitFor(() => harness.sent("shutting down").length === 1, "the late command to be refused")
  await waitFor(() => harness.bot.supervisor.getSnapshot().status === "done", "the supervisor to stop")
  // The in-flight command ran to its ack although shutdown had begun.
  await waitFor(() => harness.fake.outbound.filter(isRunAck).length === 1, "the in-flight command's ack")
  expect(harness.sandbox.executions()).toHaveLength(1)
  expect(harness.sent("shutting down")[0]!.text).toContain("your command was not run")
  expect(harness.bot.supervisor.system.get("stream")).toBeUndefined()
})

it("logs the commands still in flight when the drain times out", async () => {
  const harness = await startHarness()
  await aliasesLoaded(harness)
  harness.sandbox.faults.setApiMode({ delayMs: 8_000 })
  harness.fake.say("alice", "ops", "!st2 run date on localhost")
  await waitFor(() => inFlight(harness) === 1, "the command to be in flight")
  const stopping = harness.stop()
  await stopping
  expect(
    harness.logs.some((l) => l.message.includes("1 command(s) still in flight after the drain timeout")),
  ).toBe(true)
})
