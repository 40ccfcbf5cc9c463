import { Either } from "effect"
import { compileLinear, Ineligible, type LinearProgram, LinearRun } from "./LinearMatcher.ts"
import { isPyBlank, type PreparedCommand } from "./PreparedCommand.ts"
import { type ParsedRegex, parsePythonRegex, type RegexNode, RegexDialectError } from "./PythonRegex.ts"
import { toJsSource } from "./pythonRegexToJs.ts"
import { pythonRegExp } from "./pythonRegExp.ts"
import { anchorsOf, type LiteralPrefix, literalPrefixes, requiredLiteral } from "./regexAnalysis.ts"

/**
 * One alias format (a representation string) compiled to a matcher with StackStorm's semantics
 * (`ActionAliasFormatParser`): placeholders become lazy named groups, the rest stays a regular
 * expression, `^\s*` / `\s*$` are added only when StackStorm finds no anchor of its own, DOTALL,
 * case-sensitive, searched (not matched) in the padded command.
 *
 * Formats are matched by the linear-time matcher (`LinearMatcher.ts`): st2's lazy placeholders
 * make a format with k of them O(n^k) under a backtracking engine, and a chat command is
 * anyone's input. The few formats it cannot take (back-references) have `linear === undefined`
 * and run on the JavaScript `regex`: in-process by default (tools, the sandbox), in a worker
 * with a time limit in the bot (see `SlowMatch.ts`).
 */
export interface CompiledFormat {
  readonly format: string
  /**
   * The same pattern for the JavaScript engine (`u` and `s` flags): what the linear matcher's
   * results are checked against, and the matcher of formats it cannot take. Built on first use:
   * an index of thousands of formats only ever runs those a command's prefix selects, and
   * constructing every matcher up front was a large part of a cold build. Every check that can
   * reject a format runs in `compileFormat`.
   */
  readonly regex: RegExp
  /** The linear-time program, built on first use; `undefined` when it cannot take the format. */
  readonly linear: LinearProgram | undefined
  /** Why `linear` is `undefined` (e.g. "back-references"), else "". */
  readonly slowReason: string
  /** Named groups (placeholders and the author's own `(?P<n>...)`), in Python's `groupdict` order. */
  readonly groupNames: ReadonlyArray<string>
  /** `groupNames` with their group numbers (counting every capturing group from 1). */
  readonly numberedGroups: ReadonlyArray<readonly [string, number]>
  /** `{{ key = default }}` placeholders with their defaults (quotes dropped, `{...}` verbatim). */
  readonly defaults: ReadonlyArray<readonly [string, string]>
  /** Literal prefixes every match starts with, or `undefined` (the format is scanned). */
  readonly prefixes: ReadonlyArray<LiteralPrefix> | undefined
  /**
   * Text every match contains: a cheap pre-filter for scanned formats. "" when none, and for
   * formats with prefixes (only scanned formats use it).
   */
  readonly required: string
}

// StackStorm's snippets, verbatim in Python's dialect.
const KEY = String.raw`\s*(\S+?)\s*`
const EXT_VALUE = String.raw`""|''|"(.+?)"|'(.+?)'|({.+?})|(.+?)`
const DEFAULT = String.raw`\s*=\s*(?:${EXT_VALUE})\s*`
const OPTIONAL = `{{${KEY}${DEFAULT}}}`
const REQUIRED = `{{${KEY}}}`

// Defaults are found with DOTALL; the substitutions run without it (as in st2).
export const optionalFindRe = pythonRegExp(OPTIONAL, { dotAll: true, global: true })
const optionalSubRe = pythonRegExp(String.raw`(\s*)${OPTIONAL}`, { global: true })
const requiredSubRe = pythonRegExp(String.raw`(\s*)${REQUIRED}`, { global: true })

/** st2's `param_match` with `\1` (the whitespace before the placeholder) and `\2` (its name). */
const paramMatch = (space: string, name: string): string =>
  `${space}["\\']?(?P<${name}>(?:(?<=\\').+?(?=\\')|(?<=").+?(?=")|{.+?}|.+?))["\\']?`

/** Python's `re.sub` template escapes: only `\\` would be special here, and names hold none. */
export const translateFormat = (format: string): string =>
  // Both patterns need `{{`, the optional one also `=`: without them a pass changes nothing.
  !format.includes("{{") ? format : substituteRequired(substituteOptional(format))

const substituteOptional = (format: string): string =>
  !format.includes("=")
    ? format
    : format.replace(optionalSubRe, (_m, space: string, name: string) => `(?:${paramMatch(space, name)})?`)

const substituteRequired = (format: string): string =>
  format.replace(requiredSubRe, (_m, space: string, name: string) => paramMatch(space, name))

const START_ANCHOR: ReadonlyArray<RegexNode> = [
  { t: "assert", k: "^" },
  { t: "repeat", min: 0, max: Number.POSITIVE_INFINITY, lazy: false, body: { t: "category", k: "s" } },
]
const END_ANCHOR: ReadonlyArray<RegexNode> = [START_ANCHOR[1]!, { t: "assert", k: "$" }]

/**
 * st2 prepends `^\s*` and appends `\s*$` as TEXT when it finds no anchor of its own; with an
 * alternation at the top level they attach to the first and the last branch only.
 */
export const withAnchors = (parsed: ParsedRegex): ParsedRegex => {
  const anchors = anchorsOf(parsed.root)
  if (anchors.start && anchors.end) return parsed
  const branches = parsed.root.branches.map((b) => [...b])
  if (!anchors.start) branches[0]!.unshift(...START_ANCHOR)
  if (!anchors.end) branches[branches.length - 1]!.push(...END_ANCHOR)
  return { root: { t: "alt", branches }, groups: parsed.groups }
}

/** The tree both matchers are built from. */
const treeOf = (format: string): ParsedRegex => withAnchors(parsePythonRegex(translateFormat(format)))

/** Named groups with their group numbers (every capturing group counts), in `groupdict` order. */
const numberedGroupsOf = (tree: ParsedRegex): ReadonlyArray<readonly [string, number]> => {
  const out: Array<readonly [string, number]> = []
  tree.groups.forEach((g, i) => {
    if (g !== undefined) out.push([g, i + 1])
  })
  return out
}

/** The JavaScript source of a format's matcher (`u` and `s` flags). */
const jsSourceOf = (format: string): string => toJsSource(treeOf(format).root, { dotAll: true })

/** Matches nothing: the stand-in should the JavaScript engine refuse a source (see `regex`). */
const NEVER = /(?!)/su

class LazyCompiledFormat implements CompiledFormat {
  private compiled: RegExp | undefined
  private program: LinearProgram | null | undefined
  private reason = ""
  private numbered: ReadonlyArray<readonly [string, number]> | undefined

  constructor(
    readonly format: string,
    readonly groupNames: ReadonlyArray<string>,
    readonly defaults: ReadonlyArray<readonly [string, string]>,
    readonly prefixes: ReadonlyArray<LiteralPrefix> | undefined,
    readonly required: string,
  ) {}

  get regex(): RegExp {
    if (this.compiled === undefined) {
      // Re-derived from the format (pure and deterministic) rather than kept from the build, so
      // an index holds no syntax trees. Every tree the parser accepts translates to a source the
      // engine accepts (a test fuzzes this); were one refused, the format would match nothing
      // rather than make every lookup that selects it throw.
      try {
        this.compiled = new RegExp(jsSourceOf(this.format), "us")
      } catch {
        this.compiled = NEVER
      }
    }
    return this.compiled
  }

  /** Built with the program (from the same parse): only the linear matcher needs the numbers. */
  get numberedGroups(): ReadonlyArray<readonly [string, number]> {
    if (this.numbered === undefined) this.numbered = numberedGroupsOf(treeOf(this.format))
    return this.numbered
  }

  get linear(): LinearProgram | undefined {
    if (this.program === undefined) {
      const tree = treeOf(this.format)
      this.numbered ??= numberedGroupsOf(tree)
      try {
        this.program = compileLinear(tree.root, { dotAll: true })
      } catch (e) {
        if (!(e instanceof Ineligible)) throw e
        this.program = null
        this.reason = e.message
      }
    }
    return this.program ?? undefined
  }

  get slowReason(): string {
    return this.linear === undefined ? this.reason : ""
  }
}

/**
 * Compiles a format, or answers the reason it cannot be used faithfully. The reason is written
 * for alias authors (it names the construct, not our internals). Everything that can reject a
 * format (the parse, the placeholder checks) runs here; the JavaScript RegExp is built lazily.
 */
export const compileFormat = (format: string): Either.Either<CompiledFormat, string> => {
  try {
    const defaults: Array<readonly [string, string]> = []
    if (format.includes("{{") && format.includes("="))
      for (const m of format.matchAll(optionalFindRe))
        defaults.push([m[1]!, (m[2] ?? "") + (m[3] ?? "") + (m[4] ?? "") + (m[5] ?? "")])
    const parsed = treeOf(format)
    const groupNames = parsed.groups.filter((g): g is string => g !== undefined)
    for (const [key] of defaults)
      if (!groupNames.includes(key))
        return Either.left(
          `placeholder {{ ${key} = ... }} does not become a parameter (its default spans lines); StackStorm fails on it`,
        )
    const prefixes = literalPrefixes(parsed.root)
    // `required` only filters formats without a prefix (the scanned ones).
    const required = prefixes === undefined ? requiredLiteral(parsed.root) : ""
    return Either.right(new LazyCompiledFormat(format, groupNames, defaults, prefixes, required))
  } catch (e) {
    if (e instanceof RegexDialectError) return Either.left(e.message)
    return Either.left(
      `it is not a valid regular expression here: ${e instanceof Error ? e.message : String(e)}`,
    )
  }
}

export type Extracted = Either.Either<Record<string, string>, string>

/** st2's message for a command that does not fit a format. */
export const doesNotMatch = (command: string, format: string): string =>
  `Command "${command}" doesn't match format string "${format}"`

export const NO_VALUE = "No value supplied and no default value found."

/** One match of a format in a command's stream, whichever engine found it. */
export interface FormatMatch {
  readonly index: number
  /** The matched text. */
  readonly text: string
  /** Named groups; `undefined` for a group that did not take part. */
  readonly groups: Readonly<Record<string, string | undefined>>
}

/** st2's `match_params_in_stream`: groups, then defaults for empty optionals, then trailing pairs. */
export const paramsOf = (f: CompiledFormat, m: FormatMatch, cmd: PreparedCommand): Extracted => {
  const values = new Map<string, string | undefined>()
  const groups = m.groups
  for (const name of f.groupNames) values.set(name, groups[name])
  for (const [key, def] of f.defaults) {
    const v = values.get(key)
    values.set(key, v === undefined || v === "" ? def : v)
  }
  for (const [key, value] of cmd.pairs) values.set(key, value)
  let any = false
  for (const v of values.values()) if (v !== undefined && v !== "") any = true
  if (f.format !== "" && !(any || !isPyBlank(cmd.stream))) return Either.left(NO_VALUE)
  // Python keeps None for a group that did not take part (a placeholder inside an optional
  // group of the author's); all values here are strings, so such keys are left out.
  const out: Record<string, string> = Object.create(null)
  for (const [k, v] of values) if (v !== undefined) out[k] = v
  return Either.right(out)
}

/** Extraction from the first match, or st2's "doesn't match" (`undefined`: there is none). */
export const extractFrom = (
  f: CompiledFormat,
  m: FormatMatch | undefined,
  cmd: PreparedCommand,
): Extracted => (m === undefined ? Either.left(doesNotMatch(cmd.original, f.format)) : paramsOf(f, m, cmd))

const fromRun = (f: CompiledFormat, run: LinearRun, stream: string): FormatMatch => {
  const caps = run.caps
  const groups: Record<string, string | undefined> = {}
  for (const [name, g] of f.numberedGroups)
    groups[name] = caps[2 * g]! < 0 ? undefined : stream.slice(caps[2 * g], caps[2 * g + 1])
  return { index: caps[0]!, text: stream.slice(caps[0], caps[1]), groups }
}

const fromExec = (m: RegExpExecArray): FormatMatch => ({ index: m.index, text: m[0], groups: m.groups ?? {} })

/**
 * The matches of `f` in `stream`: the first one (Python's `search`), or with `all` every
 * non-overlapping one (`finditer`; after an empty match the search resumes one character on, as
 * JavaScript's `matchAll` does). Linear-time, unless the format has no linear program: then the
 * JavaScript engine runs it here (see `CompiledFormat`).
 */
export const matchesIn = (f: CompiledFormat, stream: string, all: boolean): Array<FormatMatch> => {
  const program = f.linear
  if (program === undefined) return jsMatches(f, stream, all)
  const run = LinearRun.reuse(program, stream)
  const out: Array<FormatMatch> = []
  let from = 0
  while (from <= stream.length && run.exec(from)) {
    out.push(fromRun(f, run, stream))
    if (!all) break
    const [start, end] = [run.caps[0]!, run.caps[1]!]
    from = end > start ? end : end + (stream.codePointAt(end)! > 0xffff ? 2 : 1)
  }
  return out
}

const globalRegexes = new WeakMap<CompiledFormat, RegExp>()

/** `matchesIn` on the JavaScript engine (unbounded time: see `CompiledFormat`). */
export const jsMatches = (f: CompiledFormat, stream: string, all: boolean): Array<FormatMatch> => {
  if (!all) {
    const m = f.regex.exec(stream)
    return m === null ? [] : [fromExec(m)]
  }
  let g = globalRegexes.get(f)
  if (g === undefined) {
    g = new RegExp(f.regex.source, "gus")
    globalRegexes.set(f, g)
  }
  return Array.from(stream.matchAll(g), fromExec)
}

/** `extract_parameters(format, command)`: the first match (Python's `search`). */
export const extractOne = (f: CompiledFormat, cmd: PreparedCommand): Extracted =>
  extractFrom(f, matchesIn(f, cmd.stream, false)[0], cmd)

/** `extract_parameters(..., match_multiple=True)`: one result per non-overlapping match (finditer). */
export const extractAll = (
  f: CompiledFormat,
  cmd: PreparedCommand,
  matches: ReadonlyArray<FormatMatch> = matchesIn(f, cmd.stream, true),
): Array<Extracted> => matches.map((m) => paramsOf(f, m, cmd))

/**
 * Each occurrence of a `match_multiple` format as a command of its own: the matched text plus
 * the command's trailing `key=value` pairs. `POST /aliasexecution` extracts one parameter set
 * per request (st2 passes `match_multiple=False` there), so a bot runs one request per
 * occurrence with these texts; each extracts exactly that occurrence's parameters.
 */
export const occurrenceCommands = (
  f: CompiledFormat,
  cmd: PreparedCommand,
  matches: ReadonlyArray<FormatMatch> = matchesIn(f, cmd.stream, true),
): Array<string> => matches.map((m) => m.text.trim() + cmd.tail)
