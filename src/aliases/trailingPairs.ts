import { isPySpace } from "./pythonRegexToJs.ts"

/**
 * StackStorm's trailing `key=value` extraction (`ActionAliasFormatParser.match_kv_pairs_at_end`)
 * without its regular expressions, in time linear in the command. st2 runs, with DOTALL:
 *
 * ```
 * KEY    = \s*(\S+?)\s*
 * VALUE  = ""|''|"(.+?)"|'(.+?)'|({.+?})|(\S+)
 * PAIRS  = (?:^|\s+){KEY}=({VALUE})
 * ENDING = .*?(({PAIRS}\s*)*)$
 * tail   = re.match(ENDING, command).group(1)
 * pairs  = re.findall(PAIRS, tail)
 * stream = command.replace(tail, "")          (every occurrence)
 * ```
 *
 * Under a backtracking engine ENDING is exponential (`a=b=c=d` repeated, then a word that is
 * not a pair) and cubic on whitespace runs; these results are exactly st2's (a property test
 * checks them against the regexes on generated commands), reached in two passes:
 *
 * 1. **The tail, right to left.** ENDING's lazy `.*?` makes the tail start at the leftmost
 *    position `s` from which the rest of the command is a sequence of pairs (`(PAIRS\s*)*`, then
 *    the end). Which suffixes are such sequences is decided for every position in one pass from
 *    the end (each answer depends only on answers further right), so the leftmost one is known
 *    after `n` steps. The tail then runs to the end of the command: where `$` could also stop
 *    before a final newline, the greedy `\s*` has taken it first.
 * 2. **The pairs, left to right**, as `findall` takes them from the tail: at a start (the tail's
 *    start or whitespace) the key begins at the next non-space character and is the shortest
 *    that reaches an `=` with a value after it; the value is the first of VALUE's alternatives
 *    that matches, each of which is decided by one look ahead. A start that yields no pair
 *    fails for the whole run of spaces and word after it, so the scan moves past them.
 */
export interface TrailingPairs {
  /** The trailing pairs text as typed (its leading whitespace included), or "". */
  readonly tail: string
  /** `(key, value)` in order; values unquoted (`""` and `''` give ""), `{...}` kept whole. */
  readonly pairs: ReadonlyArray<readonly [string, string]>
}

/** Counts the characters the scanner visits, for tests that bound its work. */
export interface ScanWork {
  steps: number
}

const EQ = 61
const DQ = 34
const SQ = 39
const LBRACE = 123
const RBRACE = 125

/** Quick exit: every pair has an `=`, so a command without one has no tail. */
export const trailingPairs = (command: string, work?: ScanWork): TrailingPairs => {
  if (!command.includes("=")) return { tail: "", pairs: [] }
  const start = tailStart(command, work)
  if (start < 0) return { tail: "", pairs: [] }
  const tail = command.slice(start)
  return { tail, pairs: findPairs(tail, work) }
}

// Per-position flags of `tailStart` (one byte per position of the command).
const AFTER = 1
const SEQ = 2
const VALUE = 4
const DQ_AHEAD = 8
const SQ_AHEAD = 16
const RB_AHEAD = 32
const EQ_AHEAD = 64

/** Scratch space for `tailStart`, grown as needed; every entry read is written first. */
let flagsBuf = new Uint8Array(256)
let runEndBuf = new Int32Array(256)

/**
 * Where ENDING's group 1 starts (the whole suffix from there is the tail), or -1 when it is
 * empty. Per position `x`, from the end (code units: every character the pattern singles out,
 * whitespace included, is one unit outside the surrogates):
 * - AFTER: the text from `x` is what may follow a value: only whitespace, or whitespace then a
 *   pair sequence (true at the end);
 * - SEQ: a pair sequence starts with a key at `x` (a non-space character);
 * - VALUE: a value starts at `x` and AFTER holds where it ends;
 * - DQ/SQ/RB_AHEAD: some `"` / `'` / `}` at or after `x` is followed by what AFTER accepts
 *   (the closing character of a quoted or braced value: `.+?` may grow across anything);
 * - EQ_AHEAD: an `=` at or after `x` in the same word is followed by a VALUE.
 */
const tailStart = (c: string, work: ScanWork | undefined): number => {
  const n = c.length
  if (flagsBuf.length < n + 2) {
    flagsBuf = new Uint8Array(2 * n + 2)
    runEndBuf = new Int32Array(2 * n + 2)
  }
  const f = flagsBuf
  // For a non-space x: where its word ends; for a space x: where its run of spaces ends.
  const runEnd = runEndBuf
  f[n] = AFTER
  f[n + 1] = 0
  runEnd[n] = n
  let best = -1
  for (let x = n - 1; x >= 0; x--) {
    const u = c.charCodeAt(x)
    const space = isPySpace(u)
    const end = x + 1 < n && isPySpace(c.charCodeAt(x + 1)) === space ? runEnd[x + 1]! : x + 1
    runEnd[x] = end
    let flags = 0
    if (space) {
      // Whitespace, then the end or a pair sequence (at least one space separates pairs).
      if (end === n || (f[end]! & SEQ) !== 0) flags = AFTER
    } else {
      // A value here: a word (`(\S+)` takes all of it: a shorter one is followed by a non-space),
      // `""`, `''`, or `"…"`, `'…'`, `{…}` with the closing character at x+2 or later.
      const ahead = f[x + 2]!
      // (Reads stay inside the text: one past the end deoptimises V8's optimised code.)
      const u1 = x + 1 < n ? c.charCodeAt(x + 1) : -1
      if (
        (f[end]! & AFTER) !== 0 ||
        (u === DQ && ((u1 === DQ && (ahead & AFTER) !== 0) || (ahead & DQ_AHEAD) !== 0)) ||
        (u === SQ && ((u1 === SQ && (ahead & AFTER) !== 0) || (ahead & SQ_AHEAD) !== 0)) ||
        (u === LBRACE && (ahead & RB_AHEAD) !== 0)
      )
        flags = VALUE
      const next = f[x + 1]!
      if ((u === EQ && (next & VALUE) !== 0) || (x + 1 < end && (next & EQ_AHEAD) !== 0)) flags |= EQ_AHEAD
      // A key at x (the shortest first, but any will do for existence): `key=value` inside the
      // word, or the whole word, spaces, then `=` and a value.
      let key = x + 1 < end && (next & EQ_AHEAD) !== 0
      if (!key && end < n) {
        const r2 = runEnd[end]!
        key = r2 < n && c.charCodeAt(r2) === EQ && (f[r2 + 1]! & VALUE) !== 0
      }
      if (key) {
        flags |= SEQ
        // ENDING can start here: at the command's start (`^`) or after whitespace (`\s+`).
        if (x === 0 || isPySpace(c.charCodeAt(x - 1))) best = x
      }
    }
    const next = f[x + 1]!
    const after = (next & AFTER) !== 0
    if ((u === DQ && after) || (next & DQ_AHEAD) !== 0) flags |= DQ_AHEAD
    if ((u === SQ && after) || (next & SQ_AHEAD) !== 0) flags |= SQ_AHEAD
    if ((u === RBRACE && after) || (next & RB_AHEAD) !== 0) flags |= RB_AHEAD
    f[x] = flags
  }
  if (work !== undefined) work.steps += n
  if (best <= 0) return best
  // `.*?` stops at the first character of the run of whitespace before the key.
  let s = best
  while (s > 0 && isPySpace(c.charCodeAt(s - 1))) s--
  if (work !== undefined) work.steps += best - s
  return s
}

/** `re.findall(PAIRS, tail, re.DOTALL)`, as (key, "".join(value groups)). */
const findPairs = (t: string, work: ScanWork | undefined): Array<readonly [string, string]> => {
  const m = t.length
  const pairs: Array<readonly [string, string]> = []
  let finder: ((ch: number, at: number) => number) | undefined
  const next = (ch: number, at: number): number => {
    finder ??= closingFinder(t, work)
    return finder(ch, at)
  }
  let visited = 0
  let p = 0
  while (p < m) {
    // A match starts at the tail's start (`^`) or on whitespace (`\s+`); the key at the next word.
    if (p > 0 && !isPySpace(t.charCodeAt(p))) {
      p++
      visited++
      continue
    }
    let k0 = p
    while (k0 < m && isPySpace(t.charCodeAt(k0))) k0++
    if (k0 === m) break
    let r = k0 + 1
    while (r < m && !isPySpace(t.charCodeAt(r))) r++
    visited += r - p
    // `(\S+?)\s*=`: the first `=` inside the word with a non-space after it...
    let q = -1
    let keyEnd = -1
    for (let j = k0 + 1; j < r - 1; j++)
      if (t.charCodeAt(j) === EQ) {
        keyEnd = j
        q = j + 1
        break
      }
    visited += (keyEnd < 0 ? r : keyEnd) - k0
    // ...else the whole word, its spaces, and an `=` starting the next word.
    if (q < 0 && r < m) {
      let r2 = r
      while (r2 < m && isPySpace(t.charCodeAt(r2))) r2++
      visited += r2 - r
      if (r2 + 1 < m && t.charCodeAt(r2) === EQ && !isPySpace(t.charCodeAt(r2 + 1))) {
        keyEnd = r
        q = r2 + 1
      }
    }
    if (q < 0) {
      // Every start up to the end of this word would find the same key and fail the same way.
      p = r
      continue
    }
    const key = t.slice(k0, keyEnd)
    const u = t.charCodeAt(q)
    const u2 = q + 1 < m ? t.charCodeAt(q + 1) : -1
    // The closing quote or brace of `"(.+?)"`, `'(.+?)'`, `({.+?})`: the first at q+2 or later.
    const quoted = u === DQ || u === SQ ? next(u, q + 2) : -1
    const braced = u === LBRACE ? next(RBRACE, q + 2) : -1
    let end: number
    let val: string
    if ((u === DQ && u2 === DQ) || (u === SQ && u2 === SQ)) {
      val = ""
      end = q + 2
    } else if (quoted >= 0) {
      val = t.slice(q + 1, quoted)
      end = quoted + 1
    } else if (braced >= 0) {
      val = t.slice(q, braced + 1)
      end = braced + 1
    } else {
      end = q + 1
      while (end < m && !isPySpace(t.charCodeAt(end))) end++
      val = t.slice(q, end)
    }
    visited += end - q
    pairs.push([key, val])
    p = end
  }
  if (work !== undefined) work.steps += visited
  return pairs
}

/**
 * `text.indexOf(ch, from)` for `"`, `'` and `}`, remembering each character's last answer: the
 * pair scan only moves forward, so each part of the text is searched at most once per character.
 */
const closingFinder = (text: string, work: ScanWork | undefined) => {
  const from = [-1, -1, -1]
  const found = [-1, -1, -1]
  return (ch: number, at: number): number => {
    const k = ch === DQ ? 0 : ch === SQ ? 1 : 2
    const f = from[k]!
    const r = found[k]!
    if (f >= 0 && at >= f && (r < 0 || at <= r)) return r
    const i = text.indexOf(String.fromCharCode(ch), at)
    if (work !== undefined) work.steps += (i < 0 ? text.length : i + 1) - at
    from[k] = at
    found[k] = i
    return i
  }
}

let failBuf = new Int32Array(64)

/**
 * Python's `text.replace(needle, "")`: every non-overlapping occurrence, leftmost first, removed.
 * Knuth-Morris-Pratt, so a command and its tail cost their lengths whatever they hold.
 */
export const removeEvery = (text: string, needle: string, work?: ScanWork): string => {
  const m = needle.length
  if (m === 0) return text
  if (failBuf.length < m) failBuf = new Int32Array(2 * m)
  const fail = failBuf
  for (let i = 1, k = 0; i < m; i++) {
    while (k > 0 && needle.charCodeAt(i) !== needle.charCodeAt(k)) k = fail[k - 1]!
    if (needle.charCodeAt(i) === needle.charCodeAt(k)) k++
    fail[i] = k
  }
  let out = ""
  let kept = 0
  for (let i = 0, k = 0; i < text.length; i++) {
    while (k > 0 && text.charCodeAt(i) !== needle.charCodeAt(k)) k = fail[k - 1]!
    if (text.charCodeAt(i) === needle.charCodeAt(k)) k++
    if (k === m) {
      out += text.slice(kept, i + 1 - m)
      kept = i + 1
      k = 0
    }
  }
  if (work !== undefined) work.steps += text.length + m
  return out + text.slice(kept)
}
