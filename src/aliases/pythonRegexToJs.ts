import {
  type Alternation,
  type CategoryKind,
  type ClassItem,
  placeholderBodyAst,
  type RegexNode,
} from "./PythonRegex.ts"

/**
 * JavaScript (`u` flag) spellings of Python 3's Unicode-aware character categories, so that
 * é, ü, CJK and emoji behave in a format exactly as they do in StackStorm:
 * - `\s` is Python's `str.isspace()` set (JavaScript's `\s` differs: it has U+FEFF but lacks
 *   U+001C-U+001F and U+0085);
 * - `\w` is letters, numbers and `_` (Python's `isalnum() or "_"`; JavaScript's `\w` is ASCII);
 * - `\d` is any decimal digit (`\p{Nd}`), as in Python.
 */
export const PY_SPACE_RANGES =
  "\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
export const PY_WORD_RANGES = "\\p{L}\\p{N}_"
const PY_DIGIT_RANGES = "\\p{Nd}"

/** True for the characters Python's `\s` (and `str.isspace()`) matches. */
export const isPySpace = (cp: number): boolean =>
  (cp >= 9 && cp <= 13) ||
  (cp >= 0x1c && cp <= 0x20) ||
  cp === 0x85 ||
  cp === 0xa0 ||
  cp === 0x1680 ||
  (cp >= 0x2000 && cp <= 0x200a) ||
  cp === 0x2028 ||
  cp === 0x2029 ||
  cp === 0x202f ||
  cp === 0x205f ||
  cp === 0x3000

const categoryRanges = (k: "d" | "s" | "w"): string =>
  k === "d" ? PY_DIGIT_RANGES : k === "s" ? PY_SPACE_RANGES : PY_WORD_RANGES

const categoryAtom = (k: CategoryKind): string => {
  switch (k) {
    case "d":
      return "\\p{Nd}"
    case "D":
      return "\\P{Nd}"
    case "s":
    case "w":
      return `[${categoryRanges(k)}]`
    case "S":
    case "W":
      return `[^${categoryRanges(k.toLowerCase() as "s" | "w")}]`
  }
}

const WORD = `[${PY_WORD_RANGES}]`
const assertion: Record<string, string> = {
  "^": "^",
  A: "^",
  // Python's `$` (no MULTILINE) also matches just before a newline that ends the string.
  $: "(?=\\n?$)",
  Z: "$",
  b: `(?:(?<=${WORD})(?!${WORD})|(?<!${WORD})(?=${WORD}))`,
  B: `(?:(?<=${WORD})(?=${WORD})|(?<!${WORD})(?!${WORD}))`,
}

const SYNTAX = new Set(Array.from("\\^$.*+?()[]{}|/"))
const CLASS_SYNTAX = new Set(Array.from("\\]^-["))

const hexEscape = (cp: number): string => `\\u{${cp.toString(16)}}`

/** One code point as a JavaScript `u`-mode literal outside a class. */
export const literal = (cp: number): string => {
  const ch = String.fromCodePoint(cp)
  if (SYNTAX.has(ch)) return `\\${ch}`
  if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp <= 0xa0) || cp === 0x2028 || cp === 0x2029)
    return hexEscape(cp)
  return ch
}

/** Text that needs no escaping as a `u`-mode literal: `literal` returns each character as is. */
const PLAIN_TEXT = /^[^\\^$.*+?()[\]{}|/\x00-\x1f\x7f-\xa0\u2028\u2029\ud800-\udfff]*$/

/** A run of BMP code points as one literal: the concatenation of `literal` for each. */
const literalText = (s: string): string => {
  if (PLAIN_TEXT.test(s)) return s
  let out = ""
  for (let i = 0; i < s.length; i++) out += literal(s.charCodeAt(i))
  return out
}

const classLiteral = (cp: number): string => {
  const ch = String.fromCodePoint(cp)
  if (CLASS_SYNTAX.has(ch)) return `\\${ch}`
  if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp <= 0xa0) || cp === 0x2028 || cp === 0x2029)
    return hexEscape(cp)
  return ch
}

const classItem = (item: ClassItem): string =>
  item.t === "char"
    ? classLiteral(item.cp)
    : item.t === "range"
      ? `${classLiteral(item.lo)}-${classLiteral(item.hi)}`
      : categoryRanges(item.k as "d" | "s" | "w")

/**
 * A Python character class. Negated categories (`\S`, `\W`, `\D`) inside a class have no
 * JavaScript `u`-mode spelling, so such a class becomes an alternation (or a lookahead for `[^...]`).
 */
const charClass = (negated: boolean, items: ReadonlyArray<ClassItem>): string => {
  const positive = items.filter((i) => !(i.t === "category" && i.k === i.k.toUpperCase()))
  const negatedCats = items.filter((i) => i.t === "category" && i.k === i.k.toUpperCase())
  if (negatedCats.length === 0) return `[${negated ? "^" : ""}${positive.map(classItem).join("")}]`
  const parts = [
    ...(positive.length > 0 ? [`[${positive.map(classItem).join("")}]`] : []),
    ...negatedCats.map((i) => categoryAtom((i as { k: CategoryKind }).k)),
  ]
  const union = `(?:${parts.join("|")})`
  return negated ? `(?:(?!${union})[\\s\\S])` : union
}

export interface JsRegexOptions {
  /** `.` crosses newlines (Python's DOTALL). */
  readonly dotAll: boolean
}

const emitNode = (node: RegexNode, o: JsRegexOptions): string => {
  switch (node.t) {
    case "text":
      return literalText(node.s)
    case "char":
      return literal(node.cp)
    case "any":
      return o.dotAll ? "." : "[^\\n]"
    case "class":
      return charClass(node.negated, node.items)
    case "category":
      return categoryAtom(node.k)
    case "assert":
      return assertion[node.k]!
    case "group": {
      const body = emitAlternation(node.body, o)
      switch (node.kind) {
        case "capture":
          return `(${body})`
        case "named":
          return `(?<${node.name}>${body})`
        case "noncapture":
          return `(?:${body})`
        case "lookahead":
          return `(?=${body})`
        case "negLookahead":
          return `(?!${body})`
        case "lookbehind":
          return `(?<=${body})`
        case "negLookbehind":
          return `(?<!${body})`
      }
      break
    }
    case "repeat": {
      const inner = emitNode(node.body, o)
      const atom =
        node.body.t === "char" || node.body.t === "any" || node.body.t === "group" || node.body.t === "class"
          ? inner
          : `(?:${inner})`
      const q =
        node.min === 0 && node.max === Number.POSITIVE_INFINITY
          ? "*"
          : node.min === 1 && node.max === Number.POSITIVE_INFINITY
            ? "+"
            : node.min === 0 && node.max === 1
              ? "?"
              : node.max === Number.POSITIVE_INFINITY
                ? `{${node.min},}`
                : node.min === node.max
                  ? `{${node.min}}`
                  : `{${node.min},${node.max}}`
      return `${atom}${q}${node.lazy ? "?" : ""}`
    }
    case "backref":
      return node.name !== undefined ? `\\k<${node.name}>` : `(?:\\${node.index})`
  }
}

let sharedEmitted: { alt: Alternation; dotAll: boolean; js: string } | undefined

export const emitAlternation = (alt: Alternation, o: JsRegexOptions): string => {
  if (alt === placeholderBodyAst() && sharedEmitted?.dotAll === o.dotAll) return sharedEmitted.js
  const js = alt.branches.map((branch) => branch.map((n) => emitNode(n, o)).join("")).join("|")
  if (alt === placeholderBodyAst()) sharedEmitted = { alt, dotAll: o.dotAll, js }
  return js
}

/** JavaScript source for a parsed Python pattern; compile it with flags `u` (+ `s` when dotAll). */
export const toJsSource = (alt: Alternation, o: JsRegexOptions): string => emitAlternation(alt, o)

/** A stable text for a node, used to compare tokens the way `sre_parse` does. */
export const nodeKey = (node: RegexNode): string => emitNode(node, { dotAll: true })
