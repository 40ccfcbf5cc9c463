import type { Alternation, RegexNode } from "./PythonRegex.ts"
import { isPySpace, nodeKey } from "./pythonRegexToJs.ts"

type SreItem =
  | RegexNode
  | { readonly t: "branch"; readonly branches: ReadonlyArray<ReadonlyArray<RegexNode>> }

/**
 * The token list `sre_parse` builds for an alternation: one branch is inlined; for several,
 * a prefix common to every branch is moved out in front of the BRANCH token.
 */
const sreCache = new WeakMap<Alternation, ReadonlyArray<SreItem>>()

const sreItems = (alt: Alternation): ReadonlyArray<SreItem> => {
  if (alt.branches.length === 1) return alt.branches[0]!
  const hit = sreCache.get(alt)
  if (hit !== undefined) return hit
  const items = factorBranches(alt)
  sreCache.set(alt, items)
  return items
}

const factorBranches = (alt: Alternation): ReadonlyArray<SreItem> => {
  const branches = alt.branches.map((b) => [...b])
  const out: Array<SreItem> = []
  for (;;) {
    const first = branches[0]![0]
    if (first === undefined) break
    if (!branches.every((b) => b.length > 0 && sameNode(b[0]!, first))) break
    for (const b of branches) b.shift()
    out.push(first)
  }
  out.push({ t: "branch", branches })
  return out
}

/** Structural equality of two tokens, as `sre_parse` compares them when factoring a prefix. */
const sameNode = (a: RegexNode, b: RegexNode): boolean => {
  if (a === b) return true
  if (a.t !== b.t) return false
  switch (a.t) {
    case "char":
      return a.cp === (b as typeof a).cp
    case "text":
      return a.s === (b as typeof a).s
    case "any":
      return true
    case "assert":
    case "category":
      return a.k === (b as typeof a).k
    case "group": {
      const g = b as typeof a
      return a.kind === g.kind && a.name === g.name && sameAlt(a.body, g.body)
    }
    default:
      return nodeKey(a) === nodeKey(b)
  }
}

const sameAlt = (a: Alternation, b: Alternation): boolean =>
  a === b ||
  (a.branches.length === b.branches.length &&
    a.branches.every((x, i) => {
      const y = b.branches[i]!
      return x.length === y.length && x.every((n, j) => sameNode(n, y[j]!))
    }))

interface Found {
  start: boolean
  end: boolean
}

/**
 * StackStorm's `search_regex_tokens`, quirks included: it descends into groups and, for an
 * alternation, only into its SECOND branch; it never looks inside repeats or lookarounds.
 * One walk answers for both searches st2 makes (start anchors, end anchors).
 */
const searchTokens = (items: ReadonlyArray<SreItem>, found: Found): void => {
  for (const item of items) {
    if (item.t === "group") {
      if (item.kind === "capture" || item.kind === "named" || item.kind === "noncapture")
        searchTokens(sreItems(item.body), found)
    } else if (item.t === "branch") {
      if (item.branches[1] !== undefined) searchTokens(item.branches[1], found)
    } else if (item.t === "assert") {
      if (item.k === "^" || item.k === "A") found.start = true
      else if (item.k === "$" || item.k === "Z") found.end = true
    }
    if (found.start && found.end) return
  }
}

/** Whether StackStorm sees a start anchor (`^`, `\A`) and an end anchor (`$`, `\Z`) in a pattern. */
export const anchorsOf = (root: Alternation): { readonly start: boolean; readonly end: boolean } => {
  const found: Found = { start: false, end: false }
  searchTokens(sreItems(root), found)
  return found
}

/** A literal text every match starts with; `complete` when a space or the end must follow it. */
export interface LiteralPrefix {
  readonly text: string
  readonly complete: boolean
}

const MAX_PREFIXES = 16
const MAX_PREFIX_LENGTH = 64

const isSpaceNode = (n: RegexNode): boolean =>
  (n.t === "category" && n.k === "s") || (n.t === "char" && isPySpace(n.cp))
const isZeroWidth = (n: RegexNode): boolean =>
  (n.t === "assert" && n.k !== "$" && n.k !== "Z") ||
  (n.t === "group" && n.kind !== "capture" && n.kind !== "named" && n.kind !== "noncapture")

/**
 * The literal prefixes that any match of an anchored pattern must start with (after leading
 * whitespace), or `undefined` when none can be proved. Sound by construction: every match starts
 * with one of the returned texts. Only patterns whose top level starts with `^`/`\A` qualify.
 */
export const literalPrefixes = (root: Alternation): ReadonlyArray<LiteralPrefix> | undefined => {
  if (root.branches.length !== 1) return undefined
  const items = root.branches[0]!
  let i = 0
  const first = items[0]
  if (first === undefined || first.t !== "assert" || (first.k !== "^" && first.k !== "A")) return undefined
  // Skip anchors and optional or required whitespace: the command's leading spaces are skipped too.
  let start: Frame | undefined
  while (i < items.length) {
    const n = items[i]!
    if (isZeroWidth(n) || isSpaceNode(n) || (n.t === "repeat" && isSpaceNode(n.body))) i++
    else if (n.t === "text" && isPySpace(n.s.charCodeAt(0))) {
      // The text's leading spaces are skipped like single space characters.
      let k = 1
      while (k < n.s.length && isPySpace(n.s.charCodeAt(k))) k++
      i++
      if (k === n.s.length) continue
      const rest: RegexNode =
        n.s.length - k >= 2 ? { t: "text", s: n.s.slice(k) } : { t: "char", cp: n.s.charCodeAt(k) }
      start = {
        items: [rest],
        from: 0,
        next: i < items.length ? { items, from: i, next: undefined } : undefined,
      }
      break
    } else break
  }
  start ??= i < items.length ? { items, from: i, next: undefined } : undefined
  const out = prefixesOf(start, "", 0)
  if (out === undefined) return undefined
  // The walk below yields the same text many times (each branch of a placeholder's body, with
  // and without an optional quote); one entry per (text, complete) indexes the same candidates.
  const cleaned: Array<LiteralPrefix> = []
  for (const p of out) {
    if (p.text === "") return undefined
    if (!cleaned.some((q) => q.text === p.text && q.complete === p.complete)) cleaned.push(p)
  }
  return cleaned
}

type Acc = Array<LiteralPrefix> | undefined

/**
 * The nodes still to match: `items` from `from` on, then `next`. Continuing into a group's
 * branch links a frame instead of copying the rest of the sequence.
 */
interface Frame {
  readonly items: ReadonlyArray<RegexNode>
  readonly from: number
  readonly next: Frame | undefined
}

/** `a` and `b` together (`a` is a fresh array and is extended), or `undefined` past the limit. */
const union = (a: Acc, b: Acc): Acc => {
  if (a === undefined || b === undefined) return undefined
  if (a.length + b.length > MAX_PREFIXES) return undefined
  for (const p of b) a.push(p)
  return a
}

const incomplete = (ps: Acc): Acc => ps?.map((p) => (p.complete ? { text: p.text, complete: false } : p))

const prefixesOf = (frame: Frame | undefined, acc: string, depth: number): Acc => {
  if (depth > 12) return [{ text: acc, complete: false }]
  let text = acc
  for (let f = frame; f !== undefined; f = f.next) {
    const items = f.items
    for (let i = f.from; i < items.length; i++) {
      const n = items[i]!
      if (text.length >= MAX_PREFIX_LENGTH) return [{ text, complete: false }]
      if (n.t === "char") {
        text += n.cp > 0xffff ? String.fromCodePoint(n.cp) : String.fromCharCode(n.cp)
        continue
      }
      if (n.t === "text") {
        // As if character by character: the length check falls before each one.
        if (text.length + n.s.length <= MAX_PREFIX_LENGTH) {
          text += n.s
          continue
        }
        return [{ text: text + n.s.slice(0, MAX_PREFIX_LENGTH - text.length), complete: false }]
      }
      if (isZeroWidth(n)) continue
      if (n.t === "assert") return [{ text, complete: true }] // `$` or `\Z`: the end, or a final newline
      if (isSpaceNode(n)) return [{ text, complete: true }]
      const rest: Frame | undefined = i + 1 < items.length ? { items, from: i + 1, next: f.next } : f.next
      if (n.t === "group" && (n.kind === "capture" || n.kind === "named" || n.kind === "noncapture")) {
        let all: Acc = []
        for (const branch of n.body.branches) {
          all = union(all, prefixesOf({ items: branch, from: 0, next: rest }, text, depth + 1))
          if (all === undefined) return undefined
        }
        return all
      }
      if (n.t === "repeat") {
        if (isSpaceNode(n.body)) {
          // `\s*` either matches a space (the word ends here) or nothing (continue with the rest).
          return n.min >= 1
            ? [{ text, complete: true }]
            : union([{ text, complete: true }], prefixesOf(rest, text, depth + 1))
        }
        const once: Frame = { items: [n.body], from: 0, next: n.max === 1 ? rest : undefined }
        const taken = prefixesOf(once, text, depth + 1)
        if (n.min >= 1) return n.max === 1 ? taken : incomplete(taken)
        return union(n.max === 1 ? taken : incomplete(taken), prefixesOf(rest, text, depth + 1))
      }
      return [{ text, complete: false }]
    }
  }
  return [{ text, complete: false }]
}

/** The longest literal run at the top level of a pattern: text every match must contain. */
export const requiredLiteral = (root: Alternation): string => {
  if (root.branches.length !== 1) return ""
  let best = ""
  let run = ""
  for (const n of root.branches[0]!) {
    if (n.t === "char") run += String.fromCodePoint(n.cp)
    else if (n.t === "text") run += n.s
    else if (!isZeroWidth(n)) {
      if (run.length > best.length) best = run
      run = ""
    }
  }
  return run.length > best.length ? run : best
}
