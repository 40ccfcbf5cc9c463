import { readFileSync } from "node:fs"
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import type { AliasFormatError } from "../../src/aliases/AliasFormatError.ts"
import { extractMultipleParameters, extractParameters } from "../../src/aliases/extractParameters.ts"

/**
 * Expected values were produced by StackStorm's own `ActionAliasFormatParser` (st2 master,
 * CPython 3.11) for each format/command pair; `rejected` means Python could not compile it.
 * They include st2's unit tests (test_action_alias_utils.py) and its documented examples, and
 * (with a `note`) the inputs that froze the bot in #18: st2's regexes take seconds to minutes on
 * them in CPython too, so those expectations were computed once, at length, and stored.
 */
interface Case {
  /** Where a case comes from when it is not st2's own tests or docs (e.g. the #18 ReDoS inputs). */
  readonly note?: string
  readonly format: string
  readonly command: string
  readonly multi?: boolean
  readonly params?: Record<string, string>
  readonly executions?: ReadonlyArray<Record<string, string>>
  readonly error?: string
  readonly rejected?: boolean
}
const cases: ReadonlyArray<Case> = JSON.parse(
  readFileSync(new URL("./fixtures/st2-extraction-cases.json", import.meta.url), "utf8"),
)

/** Python accepts these; we reject them on purpose (JavaScript cannot express them). */
const deliberatelyRejected = new Set([
  "(?>atomic) {{a}}",
  "a*+ {{x}}",
  "(?(1)a|b) {{x}}",
  String.raw`\N{LATIN SMALL LETTER E WITH ACUTE} {{x}}`,
])

const outcome = (c: Case) => {
  const r: Either.Either<object, AliasFormatError> = c.multi
    ? Either.map(extractMultipleParameters(c.format, c.command), (xs) => ({
        executions: xs.map((x) => ({ ...x })),
      }))
    : Either.map(extractParameters(c.format, c.command), (p) => ({ params: { ...p } }))
  return Either.isRight(r)
    ? r.right
    : r.left.message.startsWith("Format string ")
      ? { rejected: true }
      : { error: r.left.message }
}

describe("extractParameters: identical to StackStorm on its own outputs", () => {
  it("has a sizeable fixture", () => expect(cases.length).toBeGreaterThan(150))
  for (const c of cases.filter((c) => !deliberatelyRejected.has(c.format))) {
    const { format, command, multi, note: _note, ...expected } = c
    const shown = command.length > 80 ? `${command.slice(0, 60)}… (${command.length} chars)` : command
    it(`${JSON.stringify(format)} ← ${JSON.stringify(shown)}${multi ? " (multiple)" : ""}`, () => {
      expect(outcome(c)).toEqual(expected)
    })
  }
  it("rejects what JavaScript cannot express, naming the construct", () => {
    for (const f of deliberatelyRejected) {
      const r = extractParameters(f, "x")
      expect(Either.isLeft(r) && r.left.message).toMatch(
        /^Format string ".*" cannot be used: .*(JavaScript|\\N)/s,
      )
    }
  })
})

describe("extractParameters: StackStorm's documented examples", () => {
  it("run {{cmd}} on {{hosts}} with timeout=120", () => {
    expect(
      Either.getOrThrow(extractParameters("run {{cmd}} on {{hosts}}", "run date on 10.0.0.1 timeout=120")),
    ).toEqual({
      cmd: "date",
      hosts: "10.0.0.1",
      timeout: "120",
    })
  })
  it("(run|execute) {{cmd}}( on {{hosts=localhost}})?[!.]?", () => {
    const f = "(run|execute) {{cmd}}( on {{hosts=localhost}})?[!.]?"
    expect(Either.getOrThrow(extractParameters(f, "run date"))).toEqual({ cmd: "date", hosts: "localhost" })
    expect(Either.getOrThrow(extractParameters(f, "execute date on web1!"))).toEqual({
      cmd: "date",
      hosts: "web1",
    })
    expect(Either.getOrThrow(extractParameters(f, 'run "ls -la" on web1.'))).toEqual({
      cmd: "ls -la",
      hosts: "web1",
    })
  })
  it("quotes are dropped, {...} stays verbatim, all values are strings", () => {
    const r = Either.getOrThrow(extractParameters("set {{a}} {{b}} {{c}}", `set "x y" 'z' {"n": 1}`))
    expect(r).toEqual({ a: "x y", b: "z", c: '{"n": 1}' })
  })
  it("is case-sensitive", () => {
    expect(Either.isLeft(extractParameters("deploy {{app}}", "Deploy web"))).toBe(true)
  })
  it("reports st2's exact messages", () => {
    const miss = extractParameters("foo bar ponies", "foo lulz ponies")
    expect(Either.isLeft(miss) && miss.left).toMatchObject({
      _tag: "AliasFormatError",
      message: `Command "foo lulz ponies" doesn't match format string "foo bar ponies"`,
    })
    // st2's default pattern is lazy but may span `}}`: this quirk is StackStorm's answer too.
    expect(Either.getOrThrow(extractParameters("{{a=}}{{b=''}}", ""))).toEqual({ a: "}}{{b=''" })
  })
  it("the empty format takes only an empty command or key=value pairs", () => {
    expect(Either.getOrThrow(extractParameters("", ""))).toEqual({})
    expect(Either.getOrThrow(extractParameters("", "a=1 b='2 3'"))).toEqual({ a: "1", b: "2 3" })
    expect(Either.isLeft(extractParameters("", "hello"))).toBe(true)
  })
  it("'No value supplied and no default value found.' when a matching format gets nothing", () => {
    const r = extractParameters("{{ a = '' }}", "")
    expect(Either.isLeft(r) && r.left.message).toBe("No value supplied and no default value found.")
  })
})

describe("extractParameters: Unicode behaves like ASCII", () => {
  it("placeholders, literals and \\w take é, ü, CJK and emoji", () => {
    expect(
      Either.getOrThrow(extractParameters("déployer {{app}} sur {{env}}", "déployer café sur 東京 🚀")),
    ).toEqual({
      app: "café",
      env: "東京 🚀",
    })
    expect(Either.getOrThrow(extractParameters(String.raw`grüß (?P<who>\w+)`, "grüß Jürgen"))).toEqual({
      who: "Jürgen",
    })
    expect(Either.getOrThrow(extractParameters(String.raw`x(?P<c>.)y`, "x🚀y"))).toEqual({ c: "🚀" })
  })
  it("Python's whitespace: no-break space separates, U+FEFF does not", () => {
    expect(Either.getOrThrow(extractParameters(String.raw`say\s+{{m}}`, "say\u00a0hi"))).toEqual({ m: "hi" })
    expect(Either.isLeft(extractParameters(String.raw`say\s+{{m}}`, "say\ufeffhi"))).toBe(true)
  })
})
