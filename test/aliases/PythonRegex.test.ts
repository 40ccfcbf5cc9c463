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

describe("literal runs and the lazily built RegExp", () => {
  it("a quantifier after a run of literal characters applies to the last one only", () => {
    expect(re("^abc+$").test("abccc")).toBe(true)
    expect(re("^abc+$").test("abcabc")).toBe(false)
    expect(re("^deploy{2}$").test("deployy")).toBe(true)
    expect(re("^ab{x}$").test("ab{x}")).toBe(true) // `{` that is no quantifier is a literal
    expect(re(`^to ["\\']?x["\\']??$`).test(`to "x`)).toBe(true)
  })

  /** A small seeded generator, so the same patterns are tried on every run. */
  const patterns = (n: number): Array<string> => {
    const pieces = [
      ..."ab é😀 \\()[]{}|*+?.^$-,019P<>=!:#'\"",
      "\\s",
      "\\w",
      "\\A",
      "\\Z",
      "\\b",
      "\\1",
      "{{x}}",
      "{{ y = 1 }}",
      "(?P<g>",
      "(?P=g)",
      "(?<=",
      "(?=",
      "(?:",
      "{2,3}",
      "deploy ",
      `["\\']?`,
    ]
    let seed = 12345
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed / 0x7fffffff
    }
    return Array.from({ length: n }, () => {
      let s = ""
      const k = 1 + Math.floor(rand() * 12)
      for (let j = 0; j < k; j++) s += pieces[Math.floor(rand() * pieces.length)]
      return s
    })
  }

  it("every format compileFormat accepts yields a source the JavaScript engine accepts", () => {
    // compileFormat rejects at build time; the RegExp is only built on first use, so a source
    // the engine refused would surface late (as a format that matches nothing).
    let accepted = 0
    for (const format of patterns(4000)) {
      const c = compileFormat(format)
      if (Either.isLeft(c)) continue
      accepted++
      expect(c.right.regex.source, format).not.toBe("(?!)")
    }
    expect(accepted).toBeGreaterThan(500)
  })
})
