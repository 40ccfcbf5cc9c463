import { describe, expect, it } from "vitest"
import { splitMessage } from "../../src/chat/splitMessage.ts"

const lines = (n: number, width: number) =>
  Array.from({ length: n }, (_, i) => `${String(i).padStart(3, "0")} ${"x".repeat(width - 4)}`).join("\n")

describe("splitMessage", () => {
  it("returns short text as one part, unchanged", () => {
    expect(splitMessage("hello\nworld", 100)).toEqual(["hello\nworld"])
    expect(splitMessage("", 10)).toEqual([""])
  })

  it("cuts on line boundaries, respects the limit, and reassembles exactly", () => {
    const text = lines(50, 20)
    const parts = splitMessage(text, 70)
    expect(parts.length).toBeGreaterThan(1)
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(70)
    expect(parts.join("")).toBe(text)
    // every part but the last ends exactly at a line end: no line is cut
    for (const p of parts.slice(0, -1)) expect(p.endsWith("\n")).toBe(true)
    // greedy: 3 lines of 21 chars fit in 70, 4 do not
    expect(parts[0]).toBe(text.split("\n").slice(0, 3).join("\n") + "\n")
  })

  it("cuts a single line longer than the limit hard, losing nothing", () => {
    const long = "a".repeat(25)
    const text = `short\n${long}\nend`
    const parts = splitMessage(text, 10)
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(10)
    expect(parts.join("")).toBe(text)
    expect(parts).toContain("aaaaaaaaaa")
  })

  it("never cuts inside a surrogate pair", () => {
    const text = "😀".repeat(10) // 20 code units
    const parts = splitMessage(text, 5)
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(5)
      expect(p).toBe(Array.from(p).join("")) // well-formed
      expect(/[\ud800-\udbff]$/.test(p)).toBe(false)
    }
    expect(parts.join("")).toBe(text)
  })

  it("keeps code fences balanced across parts, within the limit", () => {
    const body = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n")
    const text = `Result:\n\`\`\`json\n${body}\n\`\`\`\ndone`
    const limit = 60
    const parts = splitMessage(text, limit)
    expect(parts.length).toBeGreaterThan(2)
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(limit)
      const fences = p.split("\n").filter((l) => l.trimStart().startsWith("```")).length
      expect(fences % 2).toBe(0)
    }
    // parts after the first reopen with the original opener (language kept)
    expect(parts[1]!.startsWith("```json\n")).toBe(true)
    // nothing lost: the non-fence lines are exactly the original's, in order
    const content = (s: string) => s.split("\n").filter((l) => l !== "" && !l.startsWith("```"))
    expect(parts.flatMap(content)).toEqual(content(text))
  })

  it("can leave fences alone for exact reassembly", () => {
    const text = `\`\`\`\n${lines(20, 10)}\n\`\`\``
    const parts = splitMessage(text, 40, { balanceFences: false })
    expect(parts.join("")).toBe(text)
  })

  it("rejects a nonsensical limit", () => {
    expect(() => splitMessage("abc", 0)).toThrow(RangeError)
  })
})
