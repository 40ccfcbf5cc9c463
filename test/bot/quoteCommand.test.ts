import { describe, expect, it } from "vitest"
import { quoteCommand, quotedCommandMaxLength } from "../../src/bot/quoteCommand.ts"

describe("quoteCommand", () => {
  it("quotes a short command whole", () => {
    expect(quoteCommand("run date on localhost")).toBe('"run date on localhost"')
    const exact = "x".repeat(quotedCommandMaxLength)
    expect(quoteCommand(exact)).toBe(`"${exact}"`)
  })

  it("cuts a long command and names its length", () => {
    const long = "y".repeat(100_000)
    const quoted = quoteCommand(long)
    expect(quoted).toBe(`"${"y".repeat(quotedCommandMaxLength)}…" (100000 characters)`)
  })
})
