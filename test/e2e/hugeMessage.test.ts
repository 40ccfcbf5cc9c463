import { expect, it } from "vitest"
import { aliasesLoaded, harnessPerTest, isRunAck, isRunResult, streamConnected, waitFor } from "./harness.ts"

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

it("runs a command with a 100 KB parameter and delivers its whole result, split", async () => {
  const harness = await startHarness({ maxMessageLength: 4_000, limits: { max_command_length: 200_000 } })
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
