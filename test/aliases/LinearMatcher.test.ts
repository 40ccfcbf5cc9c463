import { Either } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { compileFormat, matchesIn, translateFormat, withAnchors } from "../../src/aliases/CompiledFormat.ts"
import {
  compileLinear,
  Ineligible,
  type LinearOptions,
  LinearRun,
  type MatchWork,
} from "../../src/aliases/LinearMatcher.ts"
import { prepareCommand } from "../../src/aliases/PreparedCommand.ts"
import { type Alternation, parsePythonRegex } from "../../src/aliases/PythonRegex.ts"
import { toJsSource } from "../../src/aliases/pythonRegexToJs.ts"

/** A pattern tree, shown as Python source (group names made unique when shown). */
type Tree =
  | { readonly k: "atom"; readonly s: string }
  | { readonly k: "seq" | "alt"; readonly xs: ReadonlyArray<Tree> }
  | { readonly k: "group"; readonly open: string; readonly x: Tree }
  | { readonly k: "repeat"; readonly q: string; readonly x: Tree }

/** What formats are made of: st2's placeholders, literals, classes, anchors, lookarounds. */
const ATOMS = [
  "a",
  "b",
  " ",
  "'",
  '"',
  "{",
  "}",
  "é",
  "🚀",
  "x",
  "A",
  ".",
  "\\n",
  "\\s",
  "\\S",
  "\\w",
  "\\W",
  "\\d",
  "[ab]",
  "[^a ]",
  "[\\S]",
  "[^\\w]",
  "^",
  "$",
  "\\b",
  "\\B",
  "\\A",
  "\\Z",
  "(?<=a)",
  "(?<!b)",
  "(?<=[ab ])",
  "(?<=ab)",
  "(?<!\\s)",
  "{{x}}",
  "{{ y = d }}",
  " {{z}}",
  "{{w='q r'}}",
]
const QUANTIFIERS = ["*", "+", "?", "*?", "+?", "??", "{2}", "{1,3}", "{,2}?", "{0}", "{2,}"]
const GROUPS = ["(", "(?:", "(?P<", "(?=", "(?!", "(?<=", "(?s:"]

const tree = fc.letrec<{ t: Tree }>((tie) => ({
  t: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(...ATOMS).map((s): Tree => ({ k: "atom", s })),
    fc.array(tie("t"), { minLength: 1, maxLength: 4 }).map((xs): Tree => ({ k: "seq", xs })),
    fc.array(tie("t"), { minLength: 2, maxLength: 3 }).map((xs): Tree => ({ k: "alt", xs })),
    fc.tuple(fc.constantFrom(...GROUPS), tie("t")).map(([open, x]): Tree => ({ k: "group", open, x })),
    fc.tuple(fc.constantFrom(...QUANTIFIERS), tie("t")).map(([q, x]): Tree => ({ k: "repeat", q, x })),
  ),
})).t

const show = (t: Tree, names = { n: 0 }): string => {
  switch (t.k) {
    case "atom":
      return t.s.replace(/\{\{(\s*)(\w)/, (_m, space: string, w: string) => `{{${space}${w}${names.n++}`)
    case "seq":
      return t.xs.map((x) => show(x, names)).join("")
    case "alt":
      return t.xs.map((x) => show(x, names)).join("|")
    case "group":
      return t.open === "(?P<" ? `(?P<g${names.n++}>${show(t.x, names)})` : `${t.open}${show(t.x, names)})`
    case "repeat":
      return `(?:${show(t.x, names)})${t.q}`
  }
}

const input = fc
  .array(fc.constantFrom("a", "b", " ", "'", '"', "{", "}", "é", "🚀", "\n", "x", "A", "_", "1"), {
    maxLength: 12,
  })
  .map((xs) => xs.join(""))

/** Every match (`matchAll`): index and groups, as the JavaScript engine reports them. */
const viaRegExp = (root: Alternation, flags: string, s: string) => {
  const re = new RegExp(toJsSource(root, { dotAll: flags.includes("s") }), `gu${flags}`)
  return Array.from(s.matchAll(re), (m) => [m.index, ...Array.from(m, (x) => x ?? null)])
}

/** The same through the linear matcher, resuming as `matchAll` does after an empty match. */
const viaLinear = (root: Alternation, o: LinearOptions, s: string) => {
  const program = compileLinear(root, o)
  const run = new LinearRun(program, s)
  const out: Array<Array<number | string | null>> = []
  for (let from = 0; from <= s.length && run.exec(from); ) {
    const caps = run.caps
    const row: Array<number | string | null> = [caps[0]!]
    for (let g = 0; g <= program.groupCount; g++)
      row.push(caps[2 * g]! < 0 ? null : s.slice(caps[2 * g], caps[2 * g + 1]))
    out.push(row)
    from = caps[1]! > caps[0]! ? caps[1]! : caps[1]! + (s.codePointAt(caps[1]!)! > 0xffff ? 2 : 1)
  }
  return out
}

/** Parses `source` as a format (st2's translation and anchors) or as a plain pattern. */
const parse = (source: string, asFormat: boolean): Alternation | undefined => {
  try {
    const root = asFormat
      ? withAnchors(parsePythonRegex(translateFormat(source))).root
      : parsePythonRegex(source).root
    new RegExp(toJsSource(root, { dotAll: true }), "u")
    return root
  } catch {
    return undefined
  }
}

const eligible = (root: Alternation, o: LinearOptions): boolean => {
  try {
    compileLinear(root, o)
    return true
  } catch (e) {
    if (e instanceof Ineligible) return false
    throw e
  }
}

describe("LinearMatcher: the JavaScript engine's results, in linear time", () => {
  it("agrees with the emitted RegExp (flags us) on generated formats and patterns, every match and group", () => {
    let compared = 0
    fc.assert(
      fc.property(
        tree,
        fc.boolean(),
        fc.array(input, { minLength: 1, maxLength: 4 }),
        (t, asFormat, inputs) => {
          const root = parse(show(t), asFormat)
          if (root === undefined || !eligible(root, { dotAll: true })) return
          compared++
          for (const s of inputs)
            expect(viaLinear(root, { dotAll: true }, s)).toEqual(viaRegExp(root, "s", s))
        },
      ),
      { numRuns: 3000 },
    )
    expect(compared).toBeGreaterThan(2000)
  })

  it("agrees without DOTALL and case-insensitively (help filters: flags ui)", () => {
    const letters = fc
      .array(fc.constantFrom("a", "A", "b", "B", "k", "K", "s", "S", "ſ", "é", "É", " ", "\n", "1"), {
        maxLength: 10,
      })
      .map((xs) => xs.join(""))
    const atoms = fc.constantFrom(
      "a",
      "B",
      "k",
      "s",
      "é",
      ".",
      "\\w",
      "[a-c]",
      "[^b]",
      "[K-M]",
      "ab",
      "Sé",
      "\\b",
      "$",
    )
    const pattern = fc
      .array(fc.tuple(atoms, fc.constantFrom("", "*", "+?", "?", "{2}")), { minLength: 1, maxLength: 5 })
      .chain((xs) =>
        fc.constantFrom(
          xs.map(([a, q]) => (q === "" ? a : `(?:${a})${q}`)).join(""),
          xs.map(([a]) => a).join("|"),
        ),
      )
    fc.assert(
      fc.property(pattern, fc.array(letters, { minLength: 1, maxLength: 4 }), (source, inputs) => {
        const root = parsePythonRegex(source).root
        for (const s of inputs)
          expect(viaLinear(root, { dotAll: false, ignoreCase: true }, s)).toEqual(viaRegExp(root, "i", s))
      }),
      { numRuns: 1500 },
    )
  })

  it("keeps V8's quirks: a search starts inside a surrogate pair, groups reset per iteration", () => {
    const check = (source: string, s: string) => {
      const root = parsePythonRegex(source).root
      expect(viaLinear(root, { dotAll: true }, s), source).toEqual(viaRegExp(root, "s", s))
    }
    check("(?![^a])", "🚀") // V8 finds the empty match at index 1, between the halves
    check("(?<=(?:x|y)\\S)", "x🚀") // ...where nothing can be read backwards either
    check("(?:(a)|b)*", "ab") // group 1 is unset after the `b` iteration
    check("(a*)?", "b") // an optional iteration that matched empty fails: group 1 unset
    check("(?=(a))a", "a") // a positive lookahead's capture stays
    check("(?!(a))b", "b") // a negative lookahead's does not
  })

  it("refuses what it cannot do in linear time, saying why", () => {
    const refusal = (source: string) => {
      try {
        compileLinear(parsePythonRegex(source).root, { dotAll: true })
        return undefined
      } catch (e) {
        return e instanceof Ineligible ? e.message : String(e)
      }
    }
    expect(refusal("(?P<w>a)(?P=w)")).toBe("it uses a back-reference")
    expect(refusal("(a)\\1")).toBe("it uses a back-reference")
    expect(refusal("(?<=(a))b")).toBe("it has a capturing group inside a lookbehind")
    expect(refusal("(?:(?:a?)*)*")).toBe("it repeats, inside a repeat, something that can match empty text")
    expect(refusal("(?:(?:(?:a{10}){10}){10}){30}")).toMatch(/too large once its repetitions are written out/)
    expect(refusal("(?:a?){3}(?:b*)*c")).toBeUndefined()
  })
})

describe("LinearMatcher: work bounded by pattern size × input length", () => {
  /** The matcher's steps per (instruction × input position) for a format and command. */
  const stepsPerState = (format: string, command: string) => {
    const f = Either.getOrThrow(compileFormat(format))
    const program = f.linear!
    const stream = prepareCommand(command).stream
    const work: MatchWork = { steps: 0 }
    const found = new LinearRun(program, stream, work).exec(0)
    return { found, ratio: work.steps / ((program.ops.length / 3) * (stream.length + 1)) }
  }

  /** Formats and commands on which a backtracking engine takes polynomial or exponential time. */
  const attacks: ReadonlyArray<readonly [string, (n: number) => string, boolean]> = [
    ["{{a}} {{b}} {{c}} {{d}} {{e}} done", (n) => "w ".repeat(n / 2).trim(), false],
    ["{{a}} {{b}} {{c}} {{d}} {{e}} done", (n) => `${"w ".repeat(n / 2)}done`, true],
    ["run {{cmd}}", (n) => `run x${" ".repeat(n)}y`, true],
    ["run {{cmd}} on {{hosts}}", (n) => `run ${"on ".repeat(n / 3)}`, true],
    ["{{a}}'{{b}}\"{{c}}", (n) => `'"`.repeat(n / 2), true],
    ["(?:x|x)*y {{a}}", (n) => "x".repeat(n), false],
    ["(?:(?:a|a)+)+b", (n) => "a".repeat(n), false],
    ["(?P<t>\\s*\\S+\\s*)+=", (n) => "a b ".repeat(n / 4), false],
  ]

  it("takes at most a fixed number of steps per state on inputs of 100 to 4,000 characters", () => {
    for (const [format, command, expected] of attacks)
      for (const n of [100, 1000, 4000]) {
        const { found, ratio } = stepsPerState(format, command(n))
        expect(found, `${format} at ${n}`).toBe(expected)
        expect(ratio, `${format} at ${n}`).toBeLessThan(2)
      }
  })

  it("help filters exponential or polynomial in a backtracking engine are linear: `(.|.)*!`, `.*.*.*.*.*#`", () => {
    for (const source of ["(.|.)*!", ".*.*.*.*.*#", "(.*)*=", "(x+x+)+y", "(?:a|b?)*c"]) {
      const program = compileLinear(parsePythonRegex(source).root, { dotAll: false, ignoreCase: true })
      for (const n of [100, 1000, 4000]) {
        const work: MatchWork = { steps: 0 }
        expect(new LinearRun(program, "x".repeat(n), work).exec(0), source).toBe(false)
        expect(work.steps, `${source} at ${n}`).toBeLessThan(4 * (program.ops.length / 3) * (n + 1))
      }
    }
  })

  it("matchAll over a match_multiple format stays linear (the memo carries over from match to match)", () => {
    const f = Either.getOrThrow(compileFormat("(?:\\s|^)fix (?P<t>[A-Z]+-\\d+)(?:\\b|$)"))
    const stream = prepareCommand("fix AB-1 ".repeat(400)).stream
    expect(matchesIn(f, stream, true)).toHaveLength(400)
    const program = f.linear!
    const work: MatchWork = { steps: 0 }
    const run = new LinearRun(program, stream, work)
    let found = 0
    for (let from = 0; run.exec(from); from = run.caps[1]!) found++
    expect(found).toBe(400)
    expect(work.steps).toBeLessThan(2 * (program.ops.length / 3) * (stream.length + 1))
  })
})
