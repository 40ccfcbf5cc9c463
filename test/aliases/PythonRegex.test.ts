import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { compileFormat } from "../../src/aliases/CompiledFormat.ts"
import { parsePythonRegex, RegexDialectError } from "../../src/aliases/PythonRegex.ts"
import { pythonRegExp } from "../../src/aliases/pythonRegExp.ts"
import { anchorsOf } from "../../src/aliases/regexAnalysis.ts"

const re = (source: string) => pythonRegExp(source, { dotAll: true })
const rejection = (format: string) => {
  const c = compileFormat(format)
  return Either.isLeft(c) ? c.left : undefined
}

describe("Python regex dialect → JavaScript", () => {
  it("(?P<name>...) and (?P=name)", () => {
    const r = re(String.raw`(?P<w>\w+)-(?P=w)`)
    expect(r.exec("ab-ab")?.groups?.w).toBe("ab")
    expect(r.test("ab-cd")).toBe(false)
  })
  it("\\A is the start, \\Z the very end, $ also matches before a final newline", () => {
    expect(re(String.raw`\Afoo\Z`).test("foo")).toBe(true)
    expect(re(String.raw`\Afoo\Z`).test("foo\n")).toBe(false)
    expect(re("^foo$").test("foo\n")).toBe(true)
    expect(re("^foo$").test("foo\n\n")).toBe(false)
    expect(re("^foo$").test("x\nfoo")).toBe(false) // no MULTILINE
  })
  it("Unicode-aware \\w, \\d, \\s, \\b as in Python 3", () => {
    expect(re(String.raw`^\w+$`).test("Jürgen東京")).toBe(true)
    expect(re(String.raw`^\d+$`).test("٤٢")).toBe(true)
    expect(re(String.raw`^\s$`).test("\x1c")).toBe(true)
    expect(re(String.raw`^\s$`).test("\ufeff")).toBe(false)
    expect(re(String.raw`\bfoo\b`).test("éfoo")).toBe(false)
    expect(re(String.raw`^[^\S]$`).test(" ")).toBe(true)
    expect(re(String.raw`^[\S]$`).test("é")).toBe(true)
  })
  it("escapes that only Python knows: \\', \\-, octal, \\x, \\u, {literal}", () => {
    expect(re(String.raw`^\'\-\101\x42\u0043{x}$`).test("'-ABC{x}")).toBe(true)
    expect(re("^a{,2}$").test("aa")).toBe(true)
    expect(re("^[]a]+$").test("]a")).toBe(true)
  })
  it("case-sensitive and DOTALL", () => {
    expect(re("^a.b$").test("a\nb")).toBe(true)
    expect(re("^abc$").test("ABC")).toBe(false)
  })
  it("rejects with a reason what JavaScript cannot express or Python does not accept", () => {
    expect(rejection("(?i)deploy {{x}}")).toMatch(/inline flags \(\?i\)/)
    expect(rejection("(?x:a b) {{x}}")).toMatch(/inline flags/)
    expect(rejection("(?>a) {{x}}")).toMatch(/atomic groups/)
    expect(rejection("a++ {{x}}")).toMatch(/possessive/)
    expect(rejection("(a)?(?(1)b|c) {{x}}")).toMatch(/conditional/)
    expect(rejection(String.raw`\N{BULLET} {{x}}`)).toMatch(/\\N\{/)
    expect(rejection("(?<=a+)b")).toMatch(/fixed-width/)
    expect(rejection("do {{ a }} {{ a }}")).toMatch(/redefinition of group name 'a'/)
    expect(rejection("bad {{a.b}}")).toMatch(/bad character in group name 'a\.b'/)
    expect(rejection("unclosed ( {{x}}")).toMatch(/missing \)/)
    expect(rejection(String.raw`\q {{x}}`)).toMatch(/bad escape \\q/)
    expect(() => parsePythonRegex("*a")).toThrow(RegexDialectError)
  })
  it("accepts no-op scoped flags and comments", () => {
    expect(rejection("(?s:a.b)(?#note) {{x}}")).toBeUndefined()
  })
})

describe("anchoring: st2's search_regex_tokens, quirks included", () => {
  const anchors = (s: string) => anchorsOf(parsePythonRegex(s).root)
  it("finds anchors at the top level and inside groups", () => {
    expect(anchors("^asdf")).toEqual({ start: true, end: false })
    expect(anchors("asdf")).toEqual({ start: false, end: false })
    expect(anchors("^asdf$")).toEqual({ start: true, end: true })
    expect(anchors(String.raw`\Aasdf\Z`)).toEqual({ start: true, end: true })
    expect(anchors("^(?:asdf|fdsa$)")).toEqual({ start: true, end: true })
  })
  it("looks only at the SECOND branch of an alternation", () => {
    expect(anchors("^asdf|fdsa$")).toEqual({ start: false, end: true })
    expect(anchors("asdf|^fdsa")).toEqual({ start: true, end: false })
    expect(anchors("a|b|^c")).toEqual({ start: false, end: false })
  })
  it("moves a prefix common to all branches out, as sre_parse does", () => {
    expect(anchors("(?:^a|^b)")).toEqual({ start: true, end: false })
  })
  it("never looks inside repeats or lookarounds", () => {
    expect(anchors("(^foo)?")).toEqual({ start: false, end: false })
    expect(anchors("(?=^)foo")).toEqual({ start: false, end: false })
  })
  it("a format with its own anchors in an alternation may match mid-sentence (st2's outcome)", () => {
    const mid = Either.getOrThrow(compileFormat("asdf|^fdsa"))
    expect(mid.regex.test(" zz asdf ")).toBe(true) // only `\s*$` was appended, to the last branch
    const padded = Either.getOrThrow(compileFormat("^asdf|fdsa"))
    expect(padded.regex.test(" asdf ")).toBe(false) // the command is padded with a space: `^a` fails
  })
})
