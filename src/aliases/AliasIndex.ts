import { Either } from "effect"
import { type ActionAlias, aliasRef } from "../st2/ActionAlias.ts"
import {
  type CompiledFormat,
  compileFormat,
  type Extracted,
  extractAll,
  extractFrom,
  type FormatMatch,
  jsMatches,
  matchesIn,
  occurrenceCommands,
} from "./CompiledFormat.ts"
import { type FormatRejected, formatRejected } from "./FormatRejected.ts"
import { compileHelpFilter } from "./helpFilter.ts"
import { LinearRun, type MatchWork } from "./LinearMatcher.ts"
import { PrefixIndex } from "./PrefixIndex.ts"
import { type PreparedCommand, prepareCommand } from "./PreparedCommand.ts"
import type { MatchTimedOut, NeedsWorker, SlowJob, SlowResults } from "./SlowMatch.ts"
import { type SuggestionSource, suggestDisplays, suggestionSource } from "./suggestDisplays.ts"

export type AliasMatch =
  | {
      readonly _tag: "Matched"
      readonly alias: ActionAlias
      /** The representation string that matched, as sent to `POST /aliasexecution` as `format`. */
      readonly format: string
      /** The format's display string; `null` for an object format without one (st2 sends null). */
      readonly display: string | null
      readonly multiple: boolean
      /** One parameter set, or one per occurrence for a `match_multiple` format. */
      readonly executions: ReadonlyArray<Readonly<Record<string, string>>>
      /**
       * The `command` to post for each execution: the command itself, or for a `match_multiple`
       * format each occurrence (with the trailing `key=value` pairs), in order.
       */
      readonly commands: ReadonlyArray<string>
    }
  /** `Command '<c>' matched no patterns` */
  | { readonly _tag: "NoMatch"; readonly message: string }
  /** `Command '<c>' matched more than 1 pattern` / `... matched more than 1 (multi) pattern` */
  | {
      readonly _tag: "Ambiguous"
      readonly message: string
      readonly candidates: ReadonlyArray<{
        readonly alias: ActionAlias
        readonly format: string
        readonly display: string | null
      }>
    }

export interface HelpQuery {
  readonly pack?: string
  /** A Python regular expression searched case-insensitively in each display string. */
  readonly filter?: string
  readonly limit?: number
  readonly offset?: number
}

export interface HelpString {
  readonly pack: string
  readonly display: string
  /** The alias's description; `null` when it has none (as st2 sends it). */
  readonly description: string | null
}

export interface HelpResult {
  /** How many help strings pass `pack` and `filter`, before `limit`/`offset`. */
  readonly available: number
  readonly helpstrings: ReadonlyArray<HelpString>
  /** True when `maxSteps` ran out before every help string was tried (the counts are partial). */
  readonly incomplete?: boolean
}

export interface HelpOptions {
  /**
   * A bound on the filter's work over all help strings (the linear matcher's steps); past it
   * `help` stops and says `incomplete`. Unbounded when absent.
   */
  readonly maxSteps?: number
}

interface Entry {
  /** st2's order: alias, then format, then representation. */
  readonly seq: number
  readonly alias: ActionAlias
  readonly display: string | null
  readonly compiled: CompiledFormat
  readonly multiple: boolean
}

/** A format that takes the command, with its extraction (st2: no ParseException). */
interface Hit {
  readonly entry: Entry
  readonly extracted: Extracted
}

/** What matching one candidate gave: its first match (or none), or why it is not known yet. */
type Tried = FormatMatch | undefined | SlowJob | "timedOut"

class Bucket {
  readonly index = new PrefixIndex<Entry>()

  add(entry: Entry): void {
    this.index.add(entry.compiled.prefixes, entry)
  }

  /**
   * Entries whose format takes the command, in st2's order. A candidate without a linear
   * program runs in-process when `slow` is undefined; otherwise its outcome comes from `slow`,
   * or its job is added to `state.jobs` (or `state.timedOut` is set) and the hits are incomplete.
   */
  matches(cmd: PreparedCommand, slow: Slow, state: SlowState): Array<Hit> {
    const candidates: Array<Entry> = []
    this.index.candidates(cmd.words, candidates)
    for (const e of this.index.scanned) if (cmd.stream.includes(e.compiled.required)) candidates.push(e)
    const hits: Array<Hit> = []
    let last = -1
    candidates.sort((a, b) => a.seq - b.seq)
    for (const e of candidates) {
      if (e.seq === last) continue
      last = e.seq
      const tried = tryFormat(e, cmd, false, slow)
      if (tried === "timedOut") state.timedOut ??= e
      else if (tried !== undefined && "stream" in tried) state.jobs.push(tried)
      else {
        const extracted = extractFrom(e.compiled, tried, cmd)
        if (Either.isRight(extracted)) hits.push({ entry: e, extracted })
      }
    }
    return hits
  }
}

/**
 * How formats without a linear program are matched: in-process (`undefined`), not at all but
 * reported as jobs (`"defer"`), or from the outcomes of jobs that ran (`SlowResults`).
 */
type Slow = SlowResults | "defer" | undefined

interface SlowState {
  readonly jobs: Array<SlowJob>
  timedOut: Entry | undefined
}

/** The first match (or, with `all`, every match) of one entry's format, or why it is not known. */
const tryFormat = (e: Entry, cmd: PreparedCommand, all: boolean, slow: Slow): Tried => {
  const f = e.compiled
  if (slow === undefined || f.linear !== undefined) return matchesIn(f, cmd.stream, all)[0]
  const outcome = slow === "defer" ? undefined : slow.get(f, all)
  if (outcome === undefined) return { format: f, alias: aliasRef(e.alias), stream: cmd.stream, all }
  return outcome._tag === "TimedOut" ? "timedOut" : outcome.matches[0]
}

/** Every match of a `match_multiple` winner (its linear program, the engine in-process, or `slow`). */
const allMatches = (
  e: Entry,
  cmd: PreparedCommand,
  slow: Slow,
): ReadonlyArray<FormatMatch> | SlowJob | "timedOut" => {
  const f = e.compiled
  if (f.linear !== undefined) return matchesIn(f, cmd.stream, true)
  if (slow === undefined) return jsMatches(f, cmd.stream, true)
  const outcome = slow === "defer" ? undefined : slow.get(f, true)
  if (outcome === undefined) return { format: f, alias: aliasRef(e.alias), stream: cmd.stream, all: true }
  return outcome._tag === "TimedOut" ? "timedOut" : outcome.matches
}

const SURROGATE = /[\ud800-\udfff]/
/**
 * Python's (and MongoDB's) string order, by code point, for texts that may hold surrogate pairs;
 * without surrogates it is JavaScript's UTF-16 order.
 */
const compareAstral = (a: string, b: string): number => {
  const x = Array.from(a)
  const y = Array.from(b)
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!
    if (d !== 0) return d
  }
  return x.length - y.length
}

/** A format's display and representations, as st2's `normalise_alias_format_string` reads them. */
const normalise = (format: ActionAlias["formats"][number]) => {
  if (typeof format === "string") return { display: format, representations: [format], multiple: false }
  const rep = format.representation
  const representations = rep === undefined ? [] : typeof rep === "string" ? [rep] : [...rep]
  const display = format.display ?? null
  // st2 lists a display-only format with the representation "" (it matches an empty command).
  if (display && representations.length === 0) representations.push("")
  return { display, representations, multiple: format.match_multiple === true }
}

export interface BuildOptions {
  /** An index built earlier: its compiled formats are reused, which makes a refresh cheap. */
  readonly reuse?: AliasIndex
}

/**
 * Every enabled alias's formats, compiled and indexed for st2-exact matching, help and
 * suggestions. Immutable: build a new one when aliases change.
 */
export class AliasIndex {
  readonly rejected: ReadonlyArray<FormatRejected>
  /** How many representations are matchable (enabled aliases, formats not rejected). */
  readonly size: number
  /** Built on the first `suggest`, so that a rebuild does not pay for it. */
  private suggestions: ReadonlyArray<SuggestionSource> | undefined
  /** Built on the first `help` or `suggest`, for the same reason. */
  private helpList: ReadonlyArray<HelpString> | undefined

  private constructor(
    private readonly single: Bucket,
    private readonly multi: Bucket,
    /** The enabled aliases, in the order given: help entries are derived on first use. */
    private readonly enabled: ReadonlyArray<ActionAlias>,
    private readonly compiled: ReadonlyMap<string, Either.Either<CompiledFormat, string>>,
    rejected: ReadonlyArray<FormatRejected>,
    size: number,
  ) {
    this.rejected = rejected
    this.size = size
  }

  /** Never throws: a format that cannot be used lands in `rejected`, the rest keep working. */
  static build(aliases: ReadonlyArray<ActionAlias>, options: BuildOptions = {}): AliasIndex {
    const previous = options.reuse?.compiled
    const compiled = new Map<string, Either.Either<CompiledFormat, string>>()
    const single = new Bucket()
    const multi = new Bucket()
    const rejected: Array<FormatRejected> = []
    let seq = 0
    for (const alias of aliases) {
      if (alias.enabled === false) continue
      for (const format of alias.formats) {
        const { display, representations, multiple } = normalise(format)
        for (const rep of representations) {
          let c = compiled.get(rep)
          if (c === undefined) {
            c = previous?.get(rep) ?? compileFormat(rep)
            compiled.set(rep, c)
          }
          if (Either.isLeft(c)) {
            rejected.push(formatRejected(aliasRef(alias), rep, c.left))
            continue
          }
          ;(multiple ? multi : single).add({ seq: seq++, alias, display, compiled: c.right, multiple })
        }
      }
    }
    const enabled = aliases.filter((a) => a.enabled !== false)
    return new AliasIndex(single, multi, enabled, compiled, rejected, seq)
  }

  /**
   * st2's help order: enabled aliases sorted by pack, then name (code-point order, stable); each
   * format with a display (a string format is its own display) gives one entry.
   */
  private get helpEntries(): ReadonlyArray<HelpString> {
    if (this.helpList !== undefined) return this.helpList
    const keyed = this.enabled.map((a, i) => ({
      a,
      i,
      plain: !SURROGATE.test(a.pack) && !SURROGATE.test(a.name),
    }))
    const order = (x: string, y: string, plain: boolean): number =>
      x === y ? 0 : plain ? (x < y ? -1 : 1) : compareAstral(x, y)
    keyed.sort((x, y) => {
      const plain = x.plain && y.plain
      return order(x.a.pack, y.a.pack, plain) || order(x.a.name, y.a.name, plain) || x.i - y.i
    })
    const entries: Array<HelpString> = []
    for (const { a } of keyed)
      for (const format of a.formats) {
        const { display } = normalise(format)
        if (display) entries.push({ pack: a.pack, display, description: a.description ?? null })
      }
    this.helpList = entries
    return entries
  }

  /**
   * st2's `get_matching_alias` (`POST /actionalias/match`) plus the parameters of each execution.
   * Formats the linear matcher cannot take (back-references) run on the JavaScript engine
   * in-process, unbounded: fine for tools and tests. The bot passes `slow` instead: `"defer"`
   * (the per-command path, which never waits) or `SlowResults`; it then gets `NeedsWorker` with
   * the jobs to run off the event loop, calls again with their outcomes in `SlowResults`, and
   * gets `TimedOut` when one of them ran out of time.
   */
  match(command: string): AliasMatch
  match(command: string, slow: SlowResults | "defer"): AliasMatch | NeedsWorker | MatchTimedOut
  match(command: string, slow?: SlowResults | "defer"): AliasMatch | NeedsWorker | MatchTimedOut {
    const cmd = prepareCommand(command)
    const state: SlowState = { jobs: [], timedOut: undefined }
    const hits = this.single.matches(cmd, slow, state)
    const unknown = pendingOrTimedOut(state)
    if (unknown !== undefined) return unknown
    if (hits.length > 1)
      return ambiguous(
        `Command '${command}' matched more than 1 pattern`,
        hits.map((h) => h.entry),
      )
    if (hits.length === 1) {
      const { entry, extracted } = hits[0]!
      return matched(entry, Either.isRight(extracted) ? [extracted.right] : [], [command])
    }
    const multiHits = this.multi.matches(cmd, slow, state)
    const unknownMulti = pendingOrTimedOut(state)
    if (unknownMulti !== undefined) return unknownMulti
    if (multiHits.length > 1)
      return ambiguous(
        `Command '${command}' matched more than 1 (multi) pattern`,
        multiHits.map((h) => h.entry),
      )
    if (multiHits.length === 1) {
      const e = multiHits[0]!.entry
      const every = allMatches(e, cmd, slow)
      if (every === "timedOut")
        return { _tag: "TimedOut", alias: aliasRef(e.alias), format: e.compiled.format }
      if ("stream" in every) return { _tag: "NeedsWorker", jobs: [every] }
      const all = extractAll(e.compiled, cmd, every)
      const texts = occurrenceCommands(e.compiled, cmd, every)
      return matched(
        e,
        all.flatMap((x) => (Either.isRight(x) ? [x.right] : [])),
        texts.filter((_, i) => Either.isRight(all[i]!)),
      )
    }
    return { _tag: "NoMatch", message: `Command '${command}' matched no patterns` }
  }

  /** st2's `generate_helpstring_result` (`GET /actionalias/help`), limit/offset quirks included. */
  help(query: HelpQuery = {}, options: HelpOptions = {}): HelpResult {
    return selectHelp(this.helpEntries, query, options)
  }

  /** The display strings closest to a command that matched nothing ("did you mean"). */
  suggest(command: string, max = 3): ReadonlyArray<string> {
    this.suggestions ??= this.helpEntries.map((h) => suggestionSource(h.display))
    return suggestDisplays(this.suggestions, command, max)
  }
}

const matched = (
  e: Entry,
  executions: ReadonlyArray<Record<string, string>>,
  commands: ReadonlyArray<string>,
): AliasMatch => ({
  _tag: "Matched",
  alias: e.alias,
  format: e.compiled.format,
  display: e.display,
  multiple: e.multiple,
  executions,
  commands,
})

const ambiguous = (message: string, hits: ReadonlyArray<Entry>): AliasMatch => ({
  _tag: "Ambiguous",
  message,
  candidates: hits.map((e) => ({ alias: e.alias, format: e.compiled.format, display: e.display })),
})

/**
 * The help strings that pass `pack` and `filter`, paged: st2's `generate_helpstring_result` over
 * `entries` (in st2's order). Also used on help strings StackStorm sent (fetched unfiltered, so
 * that no user's pattern runs in StackStorm's regex engine).
 */
export const selectHelp = <H extends { readonly pack: string; readonly display: string }>(
  entries: ReadonlyArray<H>,
  query: HelpQuery,
  options: HelpOptions = {},
): { readonly available: number; readonly helpstrings: ReadonlyArray<H>; readonly incomplete?: boolean } => {
  const limit = query.limit ?? 0
  const offset = query.offset ?? 0
  const work: MatchWork = { steps: 0 }
  const test = filterTest(query.filter, work)
  const maxSteps = options.maxSteps ?? Number.POSITIVE_INFINITY
  const helpstrings: Array<H> = []
  let count = 0
  for (const h of entries) {
    if (query.pack && query.pack !== h.pack) continue
    if (work.steps > maxSteps) return { available: count, helpstrings, incomplete: true }
    if (!test(h.display)) continue
    const skip =
      (offset === 0 && limit > 0 && count >= limit) ||
      (offset > 0 && limit === 0 && count < offset) ||
      (offset > 0 && limit > 0 && (count < offset || count >= offset + limit))
    if (!skip) helpstrings.push(h)
    count++
  }
  return { available: count, helpstrings }
}

const pendingOrTimedOut = (state: SlowState): NeedsWorker | MatchTimedOut | undefined => {
  if (state.jobs.length > 0) return { _tag: "NeedsWorker", jobs: state.jobs }
  const e = state.timedOut
  return e === undefined
    ? undefined
    : { _tag: "TimedOut", alias: aliasRef(e.alias), format: e.compiled.format }
}

/**
 * st2 runs `re.search(filter, display, re.IGNORECASE)`: here the same pattern, parsed as Python
 * reads it, on the linear matcher (case-insensitive), so no filter can stall the bot. A filter
 * it cannot use (not a valid Python regex, a back-reference, too long) is searched as plain text,
 * case-insensitively, instead of failing; the bot refuses such filters before they get here.
 */
const filterTest = (filter: string | undefined, work: MatchWork): ((display: string) => boolean) => {
  if (!filter) return () => true
  const program = compileHelpFilter(filter)
  if (Either.isRight(program)) return (display) => new LinearRun(program.right, display, work).exec(0)
  const needle = filter.toLowerCase()
  return (display) => {
    work.steps += display.length
    return display.toLowerCase().includes(needle)
  }
}
