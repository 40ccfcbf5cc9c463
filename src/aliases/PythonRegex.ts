/**
 * A parser for the subset of Python's `re` dialect (str patterns, Python 3.8-3.12) that can be
 * translated faithfully to JavaScript. Alias formats are Python regular expressions; this is the
 * single place that reads them. Anything Python accepts but JavaScript cannot express the same
 * way (inline flags, atomic groups, possessive repeats, conditionals, `\N{...}`) throws a
 * `RegexDialectError` whose message is the reason shown to alias authors. Anything Python itself
 * rejects throws too, with Python's wording where practical.
 */

/** A reason a pattern cannot be used; caught by the compiler and turned into `FormatRejected`. */
export class RegexDialectError extends Error {
  override readonly name = "RegexDialectError"
}

export type CategoryKind = "d" | "D" | "s" | "S" | "w" | "W"
export type AssertionKind = "^" | "$" | "A" | "Z" | "b" | "B"
export type GroupKind =
  | "capture"
  | "named"
  | "noncapture"
  | "lookahead"
  | "negLookahead"
  | "lookbehind"
  | "negLookbehind"

export type ClassItem =
  | { readonly t: "char"; readonly cp: number }
  | { readonly t: "range"; readonly lo: number; readonly hi: number }
  | { readonly t: "category"; readonly k: CategoryKind }

export type RegexNode =
  | { readonly t: "char"; readonly cp: number }
  /**
   * A run of two or more literal characters, each one UTF-16 unit (no surrogates): exactly
   * the sequence of their `char` nodes, which the parser merges because a format is mostly
   * literal text. Never the body of a repeat (the character before a quantifier stays a `char`).
   */
  | { readonly t: "text"; readonly s: string }
  | { readonly t: "any" }
  | { readonly t: "class"; readonly negated: boolean; readonly items: ReadonlyArray<ClassItem> }
  | { readonly t: "category"; readonly k: CategoryKind }
  | { readonly t: "assert"; readonly k: AssertionKind }
  | { readonly t: "group"; readonly kind: GroupKind; readonly name?: string; readonly body: Alternation }
  | {
      readonly t: "repeat"
      readonly min: number
      readonly max: number
      readonly lazy: boolean
      readonly body: RegexNode
    }
  | { readonly t: "backref"; readonly index?: number; readonly name?: string }

/** `branches.length === 1` when there is no `|`. */
export interface Alternation {
  readonly t: "alt"
  readonly branches: ReadonlyArray<ReadonlyArray<RegexNode>>
}

export interface ParsedRegex {
  readonly root: Alternation
  /** Capturing groups in order of their opening parenthesis; `undefined` for unnamed ones. */
  readonly groups: ReadonlyArray<string | undefined>
}

const DIGITS = /[0-9]/
const OCT = /[0-7]/
const HEX = /^[0-9a-fA-F]+$/
const IDENT = /^[\p{ID_Start}_][\p{ID_Continue}]*$/u
const MAX_REPEAT = 4294967295

const simpleEscapes: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11, "\\": 92 }

/** Parses `source` as Python would compile it (`re.compile(source)`, str pattern). */
export const parsePythonRegex = (source: string): ParsedRegex => new Parser(source).parse()

/** The body of every placeholder group st2 generates; parsed once and shared (it has no groups). */
const PLACEHOLDER_BODY = `(?:(?<=\\').+?(?=\\')|(?<=").+?(?=")|{.+?}|.+?))`
let placeholderBody: Alternation | undefined
/** The shared placeholder body tree (emitters cache its translation). */
export const placeholderBodyAst = (): Alternation | undefined => placeholderBody

/**
 * Char nodes are immutable and compared by value, so one node per code point is shared by every
 * tree: a format is mostly literal text, and a node per character per format was most of a
 * build's allocation.
 */
const asciiChars: Array<RegexNode> = Array.from({ length: 128 }, (_, cp) => ({ t: "char", cp }))
const otherChars = new Map<number, RegexNode>()
const charNode = (cp: number): RegexNode => {
  if (cp < 128) return asciiChars[cp]!
  let n = otherChars.get(cp)
  if (n === undefined) {
    n = { t: "char", cp }
    if (otherChars.size < 4096) otherChars.set(cp, n)
  }
  return n
}

/** UTF-16 units that are syntax at the top level of a sequence (`]` and `}` are literals there). */
const SEQUENCE_SYNTAX = new Set(Array.from("\\^$.*+?()[{|", (c) => c.charCodeAt(0)))
const isPlain = (u: number): boolean => !SEQUENCE_SYNTAX.has(u) && (u < 0xd800 || u > 0xdfff)

/** `*`, `+`, `?` or `{`: what may follow an atom and apply to it. */
const isQuantifierStart = (u: number): boolean => u === 42 || u === 43 || u === 63 || u === 123

/**
 * `["\']?`, which st2 puts on both sides of every placeholder, parsed once and shared (its
 * tree is exactly what parsing the text gives; trees are never mutated).
 */
const OPTIONAL_QUOTE = `["\\']?`
const optionalQuote: RegexNode = {
  t: "repeat",
  min: 0,
  max: 1,
  lazy: false,
  body: {
    t: "class",
    negated: false,
    items: [
      { t: "char", cp: 34 },
      { t: "char", cp: 39 },
    ],
  },
}

class Parser {
  private pos = 0
  private readonly groups: Array<string | undefined> = []
  private readonly open = new Set<number>()

  constructor(private readonly src: string) {}

  parse(): ParsedRegex {
    const root = this.alternation(0)
    if (this.pos < this.src.length) this.fail(`unbalanced parenthesis at position ${this.pos}`)
    return { root, groups: this.groups }
  }

  private fail(message: string): never {
    throw new RegexDialectError(message)
  }

  /** The next UTF-16 unit (enough for comparisons with ASCII syntax characters). */
  private peek(offset = 0): string | undefined {
    return this.src[this.pos + offset]
  }

  /** The next whole code point, consumed. */
  private take(): string | undefined {
    const cp = this.src.codePointAt(this.pos)
    if (cp === undefined) return undefined
    this.pos += cp > 0xffff ? 2 : 1
    return cp > 0xffff ? String.fromCodePoint(cp) : this.src[this.pos - 1]
  }

  /** Consumes `s` (ASCII) when it comes next. */
  private eat(s: string): boolean {
    if (!this.src.startsWith(s, this.pos)) return false
    this.pos += s.length
    return true
  }

  private alternation(depth: number): Alternation {
    const branches: Array<Array<RegexNode>> = [this.sequence(depth)]
    while (this.peek() === "|") {
      this.pos++
      branches.push(this.sequence(depth))
    }
    return { t: "alt", branches }
  }

  private sequence(depth: number): Array<RegexNode> {
    const items: Array<RegexNode> = []
    const src = this.src
    for (;;) {
      // Fast path: plain characters (no syntax, no surrogates) are literals; a run of them is
      // one `text` node, except a last character that a quantifier may follow.
      let end = this.pos
      while (end < src.length && isPlain(src.charCodeAt(end))) end++
      if (src.startsWith(OPTIONAL_QUOTE, this.pos) && !isQuantifierStart(src.charCodeAt(this.pos + 6))) {
        items.push(optionalQuote)
        this.pos += OPTIONAL_QUOTE.length
        continue
      }
      if (end > this.pos) {
        const next = src.charCodeAt(end)
        const cut = isQuantifierStart(next) ? end - 1 : end
        if (cut - this.pos >= 2) {
          items.push({ t: "text", s: src.slice(this.pos, cut) })
          this.pos = cut
        }
        while (this.pos < end) items.push(charNode(src.charCodeAt(this.pos++)))
        continue
      }
      const c = this.peek()
      if (c === undefined || c === "|") return items
      if (c === ")") {
        if (depth === 0) this.fail(`unbalanced parenthesis at position ${this.pos}`)
        return items
      }
      if (c === "*" || c === "+" || c === "?" || (c === "{" && this.quantifierAhead())) {
        const last = items.pop()
        if (last === undefined || last.t === "assert") this.fail(`nothing to repeat at position ${this.pos}`)
        if (last.t === "repeat") this.fail(`multiple repeat at position ${this.pos}`)
        if (
          last.t === "group" &&
          last.kind !== "capture" &&
          last.kind !== "named" &&
          last.kind !== "noncapture"
        )
          this.fail("a repeated lookaround assertion cannot be expressed in JavaScript")
        items.push(this.quantifier(last))
        continue
      }
      const atom = this.atom(depth)
      if (atom !== undefined) items.push(atom)
    }
  }

  /** True when `{` at the cursor starts a valid `{m}`, `{m,}`, `{,n}` or `{m,n}` (Python's rule). */
  private quantifierAhead(): boolean {
    let i = this.pos + 1
    const s = this.src
    if (s[i] === "}") return false
    while (s[i] !== undefined && DIGITS.test(s[i]!)) i++
    if (s[i] === ",") {
      i++
      while (s[i] !== undefined && DIGITS.test(s[i]!)) i++
    }
    return s[i] === "}"
  }

  private quantifier(body: RegexNode): RegexNode {
    const c = this.take()!
    let min: number
    let max: number
    if (c === "*") [min, max] = [0, Number.POSITIVE_INFINITY]
    else if (c === "+") [min, max] = [1, Number.POSITIVE_INFINITY]
    else if (c === "?") [min, max] = [0, 1]
    else {
      let lo = ""
      let hi = ""
      while (DIGITS.test(this.peek() ?? "")) lo += this.take()
      if (this.eat(",")) while (DIGITS.test(this.peek() ?? "")) hi += this.take()
      else hi = lo
      this.take() // "}"
      min = lo === "" ? 0 : Number(lo)
      max = hi === "" ? Number.POSITIVE_INFINITY : Number(hi)
      if (min > MAX_REPEAT || max > MAX_REPEAT) this.fail("the repetition number is too large")
      if (max < min) this.fail("min repeat greater than max repeat")
    }
    let lazy = false
    if (this.peek() === "?") {
      this.pos++
      lazy = true
    } else if (this.peek() === "+") {
      this.fail("possessive quantifiers (`*+`, `++`, `?+`, `{m,n}+`) cannot be expressed in JavaScript")
    }
    return { t: "repeat", min, max, lazy, body }
  }

  private atom(depth: number): RegexNode | undefined {
    const c = this.take()!
    switch (c) {
      case ".":
        return { t: "any" }
      case "^":
        return { t: "assert", k: "^" }
      case "$":
        return { t: "assert", k: "$" }
      case "[":
        return this.charClass()
      case "(":
        return this.group(depth)
      case "\\":
        return this.escape()
      default:
        return charNode(c.codePointAt(0)!)
    }
  }

  private group(depth: number): RegexNode | undefined {
    let kind: GroupKind = "capture"
    let name: string | undefined
    if (this.eat("?")) {
      if (this.eat("P<")) {
        name = this.groupName(">")
        kind = "named"
      } else if (this.eat("P=")) {
        const ref = this.groupName(")")
        if (!this.groups.includes(ref)) this.fail(`unknown group name '${ref}'`)
        const index = this.groups.indexOf(ref) + 1
        if (this.open.has(index)) this.fail("cannot refer to an open group")
        return { t: "backref", name: ref }
      } else if (this.eat(":")) kind = "noncapture"
      else if (this.eat("=")) kind = "lookahead"
      else if (this.eat("!")) kind = "negLookahead"
      else if (this.eat("<=")) kind = "lookbehind"
      else if (this.eat("<!")) kind = "negLookbehind"
      else if (this.eat("#")) {
        while (this.peek() !== undefined && this.peek() !== ")") this.pos++
        if (!this.eat(")")) this.fail("missing ), unterminated comment")
        return undefined
      } else if (this.peek() === "(")
        this.fail("conditional groups `(?(id)yes|no)` cannot be expressed in JavaScript")
      else if (this.peek() === ">") this.fail("atomic groups `(?>...)` cannot be expressed in JavaScript")
      else if (this.peek() === "P") this.fail(`unknown extension ?P${this.peek(1) ?? ""}`)
      else return this.flagGroup(depth)
    }
    let index: number | undefined
    if (kind === "capture" || kind === "named") {
      if (name !== undefined && this.groups.includes(name))
        this.fail(`redefinition of group name '${name}' (each placeholder and named group must be unique)`)
      this.groups.push(name)
      index = this.groups.length
      this.open.add(index)
    }
    let body: Alternation
    if (kind === "named" && this.src.startsWith(PLACEHOLDER_BODY, this.pos)) {
      // Exactly what parsing the text would give: the body holds no capturing group.
      placeholderBody ??= parsePythonRegex(PLACEHOLDER_BODY.slice(0, -1)).root
      body = placeholderBody
      this.pos += PLACEHOLDER_BODY.length
    } else {
      body = this.alternation(depth + 1)
      if (!this.eat(")")) this.fail("missing ), unterminated subpattern")
    }
    if (index !== undefined) this.open.delete(index)
    const node: RegexNode = name === undefined ? { t: "group", kind, body } : { t: "group", kind, name, body }
    if (kind === "lookbehind" || kind === "negLookbehind") checkLookbehind(body)
    return node
  }

  /** `(?flags)` and `(?flags:...)`: only no-op scoped flags are accepted. */
  private flagGroup(depth: number): RegexNode {
    let flags = ""
    while (this.peek() !== undefined && /[aiLmsux-]/.test(this.peek()!)) flags += this.take()
    const scoped = this.eat(":")
    if (!scoped && !this.eat(")")) this.fail(`unknown extension ?${flags}${this.peek() ?? ""}`)
    if (flags === "") this.fail("missing flag")
    if (!scoped)
      this.fail(
        `inline flags (?${flags}) are not supported: they apply to the whole pattern, which Python 3.11+ ` +
          "rejects once StackStorm prepends its anchor, and JavaScript cannot scope them",
      )
    if (!/^[su]+$/.test(flags))
      this.fail(
        `inline flags (?${flags}:...) cannot be expressed in JavaScript; only (?s:...) and (?u:...) are accepted`,
      )
    const body = this.alternation(depth + 1)
    if (!this.eat(")")) this.fail("missing ), unterminated subpattern")
    return { t: "group", kind: "noncapture", body }
  }

  private groupName(terminator: string): string {
    // The terminator is ASCII, so it cannot be half of a surrogate pair.
    const end = this.src.indexOf(terminator, this.pos)
    if (end < 0) this.fail("missing group name terminator")
    const name = this.src.slice(this.pos, end)
    this.pos = end + 1
    if (name === "") this.fail("missing group name")
    if (!IDENT.test(name)) this.fail(`bad character in group name '${name}'`)
    return name
  }

  private charClass(): RegexNode {
    const negated = this.eat("^")
    const items: Array<ClassItem> = []
    for (;;) {
      const c = this.take()
      if (c === undefined) this.fail("unterminated character set")
      if (c === "]" && items.length > 0) break
      const first = c === "\\" ? this.classEscape() : ({ t: "char", cp: c.codePointAt(0)! } as const)
      if (this.peek() === "-") {
        this.pos++
        const d = this.take()
        if (d === undefined) this.fail("unterminated character set")
        if (d === "]") {
          items.push(first, { t: "char", cp: 45 })
          break
        }
        const second = d === "\\" ? this.classEscape() : ({ t: "char", cp: d.codePointAt(0)! } as const)
        if (first.t !== "char" || second.t !== "char") this.fail("bad character range")
        if (second.cp < first.cp) this.fail("bad character range")
        items.push({ t: "range", lo: first.cp, hi: second.cp })
      } else items.push(first)
    }
    return { t: "class", negated, items }
  }

  private hexDigits(n: number, what: string): number {
    let s = ""
    for (let i = 0; i < n; i++) s += this.take() ?? ""
    if (s.length !== n || !HEX.test(s)) this.fail(`incomplete escape \\${what}${s}`)
    const cp = Number.parseInt(s, 16)
    if (cp > 0x10ffff) this.fail(`bad escape \\${what}${s}`)
    return cp
  }

  /** Escapes valid in both classes and sequences; `undefined` when `c` is not one of them. */
  private commonEscape(c: string): number | undefined {
    if (c in simpleEscapes) return simpleEscapes[c]
    if (c === "x") return this.hexDigits(2, "x")
    if (c === "u") return this.hexDigits(4, "u")
    if (c === "U") return this.hexDigits(8, "U")
    if (c === "N") this.fail("named character escapes \\N{...} are not supported; write the character itself")
    return undefined
  }

  private classEscape(): ClassItem {
    const c = this.take()
    if (c === undefined) this.fail("bad escape (end of pattern)")
    if (c === "d" || c === "D" || c === "s" || c === "S" || c === "w" || c === "W")
      return { t: "category", k: c }
    if (c === "b") return { t: "char", cp: 8 }
    const common = this.commonEscape(c)
    if (common !== undefined) return { t: "char", cp: common }
    if (OCT.test(c)) {
      let digits = c
      while (digits.length < 3 && OCT.test(this.peek() ?? "")) digits += this.take()
      const cp = Number.parseInt(digits, 8)
      if (cp > 0o377) this.fail(`octal escape value \\${digits} outside of range 0-0o377`)
      return { t: "char", cp }
    }
    if (/[0-9A-Za-z]/.test(c)) this.fail(`bad escape \\${c}`)
    return { t: "char", cp: c.codePointAt(0)! }
  }

  private escape(): RegexNode {
    const c = this.take()
    if (c === undefined) this.fail("bad escape (end of pattern)")
    if (c === "d" || c === "D" || c === "s" || c === "S" || c === "w" || c === "W")
      return { t: "category", k: c }
    if (c === "A" || c === "Z" || c === "b" || c === "B") return { t: "assert", k: c }
    const common = this.commonEscape(c)
    if (common !== undefined) return { t: "char", cp: common }
    if (c === "0") {
      let digits = "0"
      while (digits.length < 3 && OCT.test(this.peek() ?? "")) digits += this.take()
      return { t: "char", cp: Number.parseInt(digits, 8) }
    }
    if (DIGITS.test(c)) {
      // Three octal digits make an octal escape; otherwise one or two digits are a group reference.
      if (OCT.test(c) && OCT.test(this.peek() ?? "") && OCT.test(this.peek(1) ?? "")) {
        const digits = c + this.take() + this.take()
        const cp = Number.parseInt(digits, 8)
        if (cp > 0o377) this.fail(`octal escape value \\${digits} outside of range 0-0o377`)
        return { t: "char", cp }
      }
      let digits = c
      if (DIGITS.test(this.peek() ?? "")) digits += this.take()
      const index = Number(digits)
      if (index > this.groups.length) this.fail(`invalid group reference ${index}`)
      if (this.open.has(index)) this.fail("cannot refer to an open group")
      return { t: "backref", index }
    }
    if (/[A-Za-z]/.test(c)) this.fail(`bad escape \\${c}`)
    return charNode(c.codePointAt(0)!)
  }
}

/** Python requires a fixed-width lookbehind without group references; JavaScript does not. */
const checkLookbehind = (body: Alternation): void => {
  const [min, max] = widthOfAlt(body)
  if (min !== max) throw new RegexDialectError("look-behind requires fixed-width pattern")
}

const widthOfAlt = (alt: Alternation): [number, number] => {
  let min = Number.POSITIVE_INFINITY
  let max = 0
  for (const branch of alt.branches) {
    let bmin = 0
    let bmax = 0
    for (const node of branch) {
      const [a, b] = widthOf(node)
      bmin += a
      bmax += b
    }
    min = Math.min(min, bmin)
    max = Math.max(max, bmax)
  }
  return [min, max]
}

const widthOf = (node: RegexNode): [number, number] => {
  switch (node.t) {
    case "text":
      return [node.s.length, node.s.length]
    case "char":
    case "any":
    case "class":
    case "category":
      return [1, 1]
    case "assert":
      return [0, 0]
    case "group":
      return node.kind === "capture" || node.kind === "named" || node.kind === "noncapture"
        ? widthOfAlt(node.body)
        : [0, 0]
    case "repeat": {
      const [a, b] = widthOf(node.body)
      return [a * node.min, b === 0 ? 0 : b * node.max]
    }
    case "backref":
      throw new RegexDialectError("cannot refer to a group inside a look-behind")
  }
}
