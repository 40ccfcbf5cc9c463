import { Effect } from "effect"
import { expect, it } from "vitest"
import { splitMessage } from "../../src/chat/splitMessage.ts"
import {
  aliasesLoaded,
  harnessPerTest,
  isRunAck,
  isRunResult,
  outstanding,
  streamConnected,
  waitFor,
} from "./harness.ts"

const startHarness = harnessPerTest()

const kb100 = (word: string) => word.repeat(Math.ceil(100_000 / word.length)).slice(0, 100_000)

it("answers a 100 KB unknown command in one short message and keeps working", async () => {
  const harness = await startHarness({ maxMessageLength: 4_000 })
  await aliasesLoaded(harness)
  await streamConnected(harness)
  const paste = kb100("lorem ipsum dolor sit amet ")
  harness.fake.say("paster", "huge", `!st2 ${paste}`)
  // Ordinary chat, however long, is not for the bot.
  harness.fake.say("paster", "huge", paste)
  harness.fake.say("paster", "huge", "!st2 run date on localhost")
  await waitFor(() => harness.fake.outbound.some(isRunResult), "the later command's result")
  const answers = harness.fake.outbound.filter((m) => m.to === "#huge")
  expect(answers.map((m) => (isRunAck(m) ? "ack" : isRunResult(m) ? "result" : "other"))).toEqual([
    "other",
    "ack",
    "result",
  ])
  // Over limits.max_command_length (4,096 by default): refused, with the length, before matching.
  const sorry = answers[0]!.text
  expect(sorry).toBe(
    `That command is ${paste.trim().length} characters long; the limit is 4096 (limits.max_command_length). Please shorten it.`,
  )
})

it("runs a command with a 100 KB parameter and delivers its whole result, split (within max_result_parts)", async () => {
  const harness = await startHarness({
    maxMessageLength: 4_000,
    limits: { max_result_parts: 100, max_command_length: 200_000 },
  })
  await aliasesLoaded(harness)
  await streamConnected(harness)
  const payload = kb100("0123456789abcdef\n").trim()
  harness.fake.say("paster", "echo", `!st2 echo ${payload}`)
  const delivered = () =>
    harness.fake.outbound
      .filter((m) => m.to === "#echo")
      .map((m) => m.text)
      .join("\n")
  await waitFor(
    () => delivered().replace(/\n/g, "").length >= payload.replace(/\n/g, "").length,
    "the whole result",
  )
  const parts = harness.fake.outbound.filter((m) => m.to === "#echo")
  expect(parts.length).toBeGreaterThan(1)
  for (const part of parts) expect(part.text.length).toBeLessThanOrEqual(4_000)
  expect(delivered().replace(/\n/g, "")).toBe(payload.replace(/\n/g, ""))
  harness.fake.say("paster", "echo", "!st2 run date on localhost")
  await waitFor(() => harness.fake.outbound.some(isRunResult), "the later command's result")
})

it("posts a 1 MB result as max_result_parts messages (default 10), the last saying how much was cut, with the execution's link", async () => {
  const harness = await startHarness({ maxMessageLength: 4_000, stackstorm: { route_key: "chatops" } })
  await aliasesLoaded(harness)
  await streamConnected(harness)
  // An inquiry: its execution stays pending, so the one result announced for it is ours.
  const command = harness.fake.say("ann", "flood", "!st2 ask how big?")
  await waitFor(() => harness.sent(/core\.ask/, "#flood").length === 1, "the ack")
  const execution = harness.sandbox.executions()[0] as { web_url: string }
  expect(outstanding(harness)).toBe(1)
  // What st2's chatops.post_result announces for a command whose output is 1 MB.
  const megabyte = Array.from({ length: 20_000 }, (_, i) => `line ${i}: ${"x".repeat(44)}`)
    .join("\n")
    .slice(0, 1_000_000)
  harness.sandbox.announce("chatops", {
    message: megabyte,
    channel: "#flood",
    user: "@ann",
    whisper: false,
    extra: null,
    context: harness.fake.sourceContext(command),
  })
  await waitFor(() => outstanding(harness) === 0, "the result settled")
  await Effect.runPromise(harness.bot.outboundIdle)
  const parts = harness.fake.outbound.filter((m) => m.to === "#flood" && m.text.startsWith("line "))
  expect(parts).toHaveLength(10)
  for (const part of parts) expect(part.text.length).toBeLessThanOrEqual(4_000)
  const total = splitMessage(megabyte, 4_000).length
  expect(parts[9]!.text).toMatch(
    new RegExp(`\\n… ${total - 10} more parts \\(9\\d\\d\\.\\d kB\\) not shown; the whole result: (\\S+)$`),
  )
  expect(parts[9]!.text.endsWith(`the whole result: ${execution.web_url}`)).toBe(true)
  expect(harness.logs.some((l) => l.message === "a message too long for chat was cut to 10 parts")).toBe(true)
})

it("posts a 1 MB webhook message (the bot's deliver path) as at most max_result_parts messages too", async () => {
  const harness = await startHarness({ maxMessageLength: 4_000, limits: { max_result_parts: 4 } })
  harness.fake.addRoom("hook")
  const megabyte = "0123456789abcdef\n".repeat(60_000)
  const answer = await Effect.runPromise(harness.bot.deliver({ message: megabyte, channel: "#hook" }))
  expect(answer).toEqual({ queued: true })
  await Effect.runPromise(harness.bot.outboundIdle)
  const parts = harness.fake.outbound.filter((m) => m.to === "#hook")
  expect(parts).toHaveLength(4)
  expect(parts[3]!.text).toMatch(/\n… \d+ more parts \(1\.0 MB\) not shown\.$/)
})
