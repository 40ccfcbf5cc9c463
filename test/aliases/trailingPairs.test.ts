import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { prepareCommand } from "../../src/aliases/PreparedCommand.ts"
import { pythonRegExp } from "../../src/aliases/pythonRegExp.ts"
import { removeEvery, type ScanWork, trailingPairs } from "../../src/aliases/trailingPairs.ts"

/**
 * The oracle: StackStorm's own regexes (`ActionAliasFormatParser.generate_snippets`), verbatim in
 * Python's dialect, run by the JavaScript engine as stormbot did before the scanner (that
 * translation agreed with CPython 3.11 on every fixture and on 110,000 generated commands).
 * Exponential on some inputs: only ever given short ones here.
 */
const KEY = String.raw`\s*(\S+?)\s*`
const VALUE = String.raw`""|''|"(.+?)"|'(.+?)'|({.+?})|(\S+)`
const PAIRS = String.raw`(?:^|\s+)${KEY}=(${VALUE})`
const ENDING = String.raw`.*?((${PAIRS}\s*)*)$`
const endingRe = pythonRegExp(`(?:${ENDING})`, { dotAll: true })
const pairsRe = pythonRegExp(PAIRS, { dotAll: true, global: true })

const st2 = (command: string) => {
  const ending = endingRe.exec(command)
  const tail = ending !== null && ending.index === 0 ? ending[1]! : ""
  const pairs =
    tail === ""
      ? []
      : Array.from(tail.matchAll(pairsRe), (m) => [
          m[1]!,
          (m[3] ?? "") + (m[4] ?? "") + (m[5] ?? "") + (m[6] ?? ""),
        ])
  return { tail, pairs, stream: ` ${tail === "" ? command : command.split(tail).join("")} ` }
}

const scanned = (command: string) => {
  const { tail, pairs } = trailingPairs(command)
  return { tail, pairs: pairs.map(([k, v]) => [k, v]), stream: ` ${removeEvery(command, tail)} ` }
}

/** Commands built from what the pattern singles out: `=`, quotes, braces, Python's whitespace. */
const piece = fc.constantFrom(
  "a",
  "b",
  "=",
  "==",
  " ",
  "  ",
  "\t",
  "\n",
  "\u00a0",
  "\u3000",
  '"',
  "'",
  "{",
  "}",
  '""',
  "''",
  "x=y",
  "a=b=c",
  'k="v w"',
  "k='v'",
  "k={1 2}",
  "é",
  "🚀",
)
const command = fc.array(piece, { maxLength: 14 }).map((xs) => xs.join(""))

describe("trailingPairs: StackStorm's trailing key=value extraction, without its regexes", () => {
  it("gives st2's tail, pairs and stream on generated commands", () => {
    fc.assert(
      fc.property(command, (c) => {
        expect(scanned(c)).toEqual(st2(c))
      }),
      { numRuns: 4000 },
    )
  })

  it("st2's documented shapes: bare, quoted, braced values; later keys win in the record", () => {
    expect(scanned(`run date timeout=120 a="x y" b='z' c={"k": 1} d="" e=''`)).toEqual(
      st2(`run date timeout=120 a="x y" b='z' c={"k": 1} d="" e=''`),
    )
    expect(trailingPairs("deploy web a=b=c=d").pairs).toEqual([["a", "b=c=d"]])
    expect(trailingPairs("x a= =b").pairs).toEqual([["a=", "b"]])
    // Not at the end: nothing is taken.
    expect(trailingPairs("deploy a=1 web")).toEqual({ tail: "", pairs: [] })
  })

  it("removes every occurrence of the tail, as Python's str.replace does", () => {
    expect(prepareCommand("x a=1 y a=1").stream).toBe(" x y ")
    expect(removeEvery("aaaa", "aa")).toBe("")
    expect(removeEvery("abababc", "abc")).toBe("abab")
    expect(removeEvery("abc", "")).toBe("abc")
  })

  /** Inputs on which st2's regexes backtrack exponentially or cubically. */
  const attacks: Record<string, string> = {
    "a=b=c=d ×500 X": `${"a=b=c=d ".repeat(500)}X`,
    "a=b=c=d ×500": "a=b=c=d ".repeat(500).trim(),
    "a=b=c ×800 X": `${"a=b=c ".repeat(800)}X`,
    "4,000 spaces with an =": `run x=${" ".repeat(4000)}y`,
    'unclosed quotes a="x': 'a="x '.repeat(800),
    "unclosed braces": "k={ ".repeat(1000),
    "= only": "=".repeat(4000),
    "= and spaces": "= ".repeat(2000),
    "quoted, braced, bare": `a="b c" d={e f} g='h i' `.repeat(150),
  }

  it("visits at most 8 characters per character of the command, whatever it holds", () => {
    for (const [name, c] of Object.entries(attacks)) {
      const work: ScanWork = { steps: 0 }
      const { tail } = trailingPairs(c, work)
      removeEvery(c, tail, work)
      expect(work.steps, name).toBeLessThanOrEqual(8 * c.length)
    }
  })

  it("the bound holds on generated long commands too", () => {
    fc.assert(
      fc.property(fc.array(piece, { minLength: 200, maxLength: 600 }), (xs) => {
        const c = xs.join("")
        const work: ScanWork = { steps: 0 }
        removeEvery(c, trailingPairs(c, work).tail, work)
        return work.steps <= 8 * c.length
      }),
      { numRuns: 200 },
    )
  })

  it("answers the inputs that froze the bot (st2's results, computed by CPython 3.11)", () => {
    // 15 times `a=b=c=d` then ` X`: 126 characters with the `!st2 ` prefix, 14 s in the regex.
    const frozen = `${Array(15).fill("a=b=c=d").join(" ")} X`
    expect(trailingPairs(frozen)).toEqual({ tail: "", pairs: [] })
    const fine = Array(15).fill("a=b=c=d").join(" ")
    const got = trailingPairs(`deploy web ${fine}`)
    expect(got.tail).toBe(` ${fine}`)
    expect(got.pairs).toHaveLength(15)
    expect(got.pairs[0]).toEqual(["a", "b=c=d"])
  })
})
