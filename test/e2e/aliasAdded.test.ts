import { expect, it } from "vitest"
import { aliasesLoaded, harnessPerTest, streamConnected, waitFor } from "./harness.ts"

const startHarness = harnessPerTest()

it("runs an alias added to StackStorm after the bot loaded its aliases, and refreshes", async () => {
  // A refresh interval far longer than the test: only the st2-match fallback can refresh.
  const harness = await startHarness({ stackstorm: { timer_update: 3600 } })
  await aliasesLoaded(harness)
  await streamConnected(harness)
  const loads = () => harness.logs.filter((l) => l.message === "aliases loaded").length
  const remoteMatches = () => harness.logs.filter((l) => l.message.startsWith("StackStorm matched a command"))
  const loadsBefore = loads()

  harness.sandbox.addAlias({
    name: "greet",
    pack: "hello",
    description: "Say hello.",
    action_ref: "core.echo",
    formats: ["greet {{message}}"],
    ack: { format: "Greeting {{ execution.parameters.message }}", append_url: false },
    result: { format: "Hello, {{ execution.parameters.message }}!" },
  })
  harness.fake.say("alice", "new", "!st2 greet world")
  await waitFor(() => harness.fake.outbound.filter((m) => m.to === "#new").length === 2, "ack and result")
  expect(harness.fake.outbound.filter((m) => m.to === "#new").map((m) => m.text)).toEqual([
    "Greeting world",
    "Hello, world!",
  ])
  expect(remoteMatches()).toHaveLength(1)
  expect(remoteMatches()[0]!.annotations.alias).toBe("hello.greet")

  // The hit refreshed the alias set: help lists the new command, and it now matches locally.
  await waitFor(() => loads() > loadsBefore, "an alias refresh")
  await aliasesLoaded(harness)
  harness.fake.say("alice", "help", "!st2help --pack hello")
  await waitFor(() => harness.fake.outbound.some((m) => m.to === "#help"), "the help answer")
  expect(harness.fake.outbound.find((m) => m.to === "#help")!.text).toContain(
    "!st2 greet {{message}} - Say hello.",
  )
  harness.fake.say("alice", "new", "!st2 greet again")
  await waitFor(
    () => harness.fake.outbound.filter((m) => m.to === "#new").length === 4,
    "the second ack and result",
  )
  expect(remoteMatches()).toHaveLength(1)
})
