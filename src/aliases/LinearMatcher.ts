import type { Alternation, CategoryKind, ClassItem, RegexNode } from "./PythonRegex.ts"
import { isPySpace } from "./pythonRegexToJs.ts"

/**
 * A matcher for the parsed Python patterns (`PythonRegex.ts`) that gives exactly the results of
 * the JavaScript RegExp `pythonRegexToJs.ts` emits for them (flags `u`, `s` for DOTALL, `i` for
 * IGNORECASE): the same match, the same groups, found in the same leftmost-priority order, but
 * in time bounded by pattern size × input length, whatever the input.
 *
 * It is a backtracking machine over a small instruction program, as the JavaScript engine is,
 * plus memoisation: a state (instruction, position) that has failed once fails every time
 * (without back-references nothing else decides it), so it is never explored twice. The first
 * success is therefore the backtracking engine's first success, reached after at most one visit
 * per state. ECMAScript's rules are kept: an optional iteration that matches empty text fails
 * (the memo key then also says whether the iteration has consumed anything yet), groups inside a
 * repeat are reset at each iteration, lookarounds are atomic, captures made in a positive
 * lookahead stay. Lookarounds are memoised sub-matches (a lookbehind has a fixed width in
 * Python's dialect, so it is matched forwards from where it must start).
 *
 * Patterns it does not take (`Ineligible`, whose message says why, as "it ..."): back-references (they make a state's outcome depend
 * on what was captured), captures inside a lookbehind (JavaScript matches those backwards),
 * an empty-matching repeat inside another one, and programs over `MAX_PROGRAM` instructions
 * once counted repetitions are written out.
 */
export class Ineligible extends Error {
  override readonly name = "Ineligible"
}

/** Instructions at most, counted repeats written out (`x{1000}` is a thousand copies of `x`). */
export const MAX_PROGRAM = 20_000

export interface LinearOptions {
  /** `.` also matches `\n` (Python's DOTALL; JavaScript's `s`). */
  readonly dotAll: boolean
  /** Case-insensitive (JavaScript's `i` with `u`: simple case folding). */
  readonly ignoreCase?: boolean
  /** The largest program accepted, in instructions (default `MAX_PROGRAM`). */
  readonly maxProgram?: number
}

// Opcodes. Each instruction is three integers: op, a, b.
const CHAR = 0 // a: code point
const TEXT = 1 // a: index in texts
const ANY = 2
const ANY_NO_NL = 3
const CLASS = 4 // a: index in classes
const ASSERT = 5 // a: assertion code
const SPLIT = 6 // try a, then b
const JMP = 7 // a
const SAVE = 8 // a: capture slot
const RESET = 9 // a: first slot, b: slot after the last
const SET_REG = 10 // a: register
const CHECK = 11 // a: register; fails when nothing was consumed since SET_REG
const LOOK = 12 // a: index in looks
const MATCH = 13 // success (of the pattern, or of a lookaround's body)
const CHAR_FOLD = 14 // a: folded code point
const TEXT_FOLD = 15 // a: index in texts (folded)
const BEHIND_CHAR = 16 // a: code point; `(?<=c)` or, with b = 1, `(?<!c)`
const AHEAD_CHAR = 17 // a: code point; `(?=c)` or, with b = 1, `(?!c)`
// A repeat of one character's matcher (b: an M_ kind, a: its operand), the common case made cheap:
const STAR = 18 // greedy `x*`: takes the longest run, gives back one character at a time
const LAZY_STAR = 19 // lazy `x*?`: takes one more character each time the rest fails
const OPTIONAL = 20 // greedy `x?`

// What a one-character matcher is (the `b` of STAR, LAZY_STAR, OPTIONAL).
const M_ANY = 0
const M_ANY_NO_NL = 1
const M_CHAR = 2 // a: code point
const M_CLASS = 3 // a: index in classes
const M_CHAR_FOLD = 4 // a: folded code point

const A_START = 0 // ^ and \A: the very start (no MULTILINE)
const A_END = 1 // Python's $: the end, or just before a final \n
const A_END_STRING = 2 // \Z
const A_WORD = 3 // \b
const A_NOT_WORD = 4 // \B

interface Look {
  /** First instruction of the body; the body ends with MATCH. */
  readonly entry: number
  readonly behind: boolean
  readonly negated: boolean
  /** A lookbehind's width in code points. */
  readonly width: number
  /** Capture slots set inside: [from, to). A positive lookahead keeps them, a negative one not. */
  readonly slotFrom: number
  readonly slotTo: number
}

type ClassTest = (cp: number) => boolean

/** A compiled pattern. Immutable; `LinearRun` holds the per-input state. */
export interface LinearProgram {
  readonly ops: Int32Array
  readonly texts: ReadonlyArray<string>
  readonly classes: ReadonlyArray<ClassTest>
  /** Each class's ASCII answers, 128 bytes per class. */
  readonly classAscii: Uint8Array
  readonly looks: ReadonlyArray<Look>
  /**
   * Per instruction: its first memo row, or -1 when it is not memoised. Inside the body of a
   * repeat with an empty-check (`regOf` >= 0) an instruction has two rows: whether the current
   * iteration has consumed nothing yet decides the check, so it is part of the state.
   */
  readonly memoRow: Int32Array
  /** Per instruction: the register of the empty-check loop whose body holds it, or -1. */
  readonly regOf: Int32Array
  readonly rows: number
  readonly registers: number
  /** Capturing groups, without group 0. */
  readonly groupCount: number
  /** True when every match must start at position 0 (the pattern starts with `^` or `\A`). */
  readonly anchored: boolean
  /**
   * Per STAR / LAZY_STAR: the characters the rest of the pattern can start with there
   * (`undefined`: any). A position where the rest cannot start is not tried: it would fail.
   */
  readonly guards: ReadonlyArray<Guard | undefined>
}

/** What the rest of a pattern can start with at some point (a superset is always sound). */
export interface Guard {
  /** 1 for the ASCII characters it can start with. */
  readonly ascii: Uint8Array
  /** It may start with a character outside ASCII. */
  readonly other: boolean
  /** It may match at the very end of the input. */
  readonly end: boolean
}

// ---------------------------------------------------------------------------------------------
// Character tests, as the emitted JavaScript spells them.

const ND = /^\p{Nd}$/u
const WORDISH = /^[\p{L}\p{N}_]$/u

const isDigit = (cp: number): boolean => (cp < 128 ? cp >= 48 && cp <= 57 : ND.test(String.fromCodePoint(cp)))
/** Python 3's `\w` as emitted: letters, numbers, `_`. */
export const isWordChar = (cp: number): boolean =>
  cp < 128
    ? (cp >= 48 && cp <= 57) || (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122) || cp === 95
    : WORDISH.test(String.fromCodePoint(cp))

const categoryTest = (k: CategoryKind): ClassTest => {
  switch (k) {
    case "d":
      return isDigit
    case "D":
      return (cp) => !isDigit(cp)
    case "s":
      return isPySpace
    case "S":
      return (cp) => !isPySpace(cp)
    case "w":
      return isWordChar
    case "W":
      return (cp) => !isWordChar(cp)
  }
}

/** One code point's case variants that are single code points (for IGNORECASE). */
const single = (s: string): number | undefined => {
  const cp = s.codePointAt(0)!
  return s.length === (cp > 0xffff ? 2 : 1) ? cp : undefined
}
const lower = (cp: number): number => single(String.fromCodePoint(cp).toLowerCase()) ?? cp
const upper = (cp: number): number => single(String.fromCodePoint(cp).toUpperCase()) ?? cp

/**
 * Simple case folding as `i` with `u` applies it, in its common form: the lower case of the
 * upper case (`ſ` → `S` → `s`, `K` (Kelvin) → `k`), when each is one code point.
 */
export const foldCase = (cp: number): number => {
  if (cp < 128) return cp >= 65 && cp <= 90 ? cp + 32 : cp
  return lower(upper(cp))
}

/** A character class: its answers for ASCII, and the test for the rest. */
interface CharClass {
  readonly ascii: Uint8Array
  readonly test: ClassTest
}

const buildClass = (negated: boolean, items: ReadonlyArray<ClassItem>, ignoreCase: boolean): CharClass => {
  const ascii = new Uint32Array(4)
  const others: Array<ClassTest> = []
  const ranges: Array<readonly [number, number]> = []
  for (const item of items) {
    if (item.t === "char") {
      if (item.cp < 128) ascii[item.cp >> 5]! |= 1 << (item.cp & 31)
      else ranges.push([item.cp, item.cp])
    } else if (item.t === "range") ranges.push([item.lo, item.hi])
    else others.push(categoryTest(item.k))
  }
  for (const [lo, hi] of ranges)
    for (let cp = lo; cp <= Math.min(hi, 127); cp++) ascii[cp >> 5]! |= 1 << (cp & 31)
  const raw = (cp: number): boolean => {
    if (cp < 128 && (ascii[cp >> 5]! & (1 << (cp & 31))) !== 0) return true
    for (const [lo, hi] of ranges) if (cp >= lo && cp <= hi) return true
    for (const t of others) if (t(cp)) return true
    return false
  }
  const matches = ignoreCase
    ? (cp: number) => {
        if (raw(cp)) return true
        const l = lower(cp)
        const u = upper(cp)
        return (l !== cp && raw(l)) || (u !== cp && raw(u)) || raw(foldCase(cp))
      }
    : raw
  const table = new Uint8Array(128)
  for (let cp = 0; cp < 128; cp++) table[cp] = matches(cp) !== negated ? 1 : 0
  return { ascii: table, test: (cp) => matches(cp) !== negated }
}

/**
 * Classes are few and repeated in every format (`["']`, `\\s`): each is built once, found by its
 * node (st2's nodes are shared between trees) or else by its text.
 */
const classCache = new Map<string, CharClass>()
const classOfNode = [new WeakMap<RegexNode, CharClass>(), new WeakMap<RegexNode, CharClass>()]
const charClass = (node: RegexNode, ignoreCase: boolean): CharClass => {
  const byNode = classOfNode[ignoreCase ? 1 : 0]!
  const known = byNode.get(node)
  if (known !== undefined) return known
  const [negated, items]: [boolean, ReadonlyArray<ClassItem>] =
    node.t === "class"
      ? [node.negated, node.items]
      : [false, [{ t: "category", k: (node as { k: CategoryKind }).k }]]
  const key =
    node.t === "category"
      ? `${ignoreCase ? "i" : ""}\\${node.k}`
      : `${negated ? "^" : ""}${ignoreCase ? "i" : ""}${JSON.stringify(items)}`
  let c = classCache.get(key)
  if (c === undefined) {
    c = buildClass(negated, items, ignoreCase)
    if (classCache.size < 1024) classCache.set(key, c)
  }
  byNode.set(node, c)
  return c
}

// ---------------------------------------------------------------------------------------------
// Compilation.

/** Whether a node can match empty text (a conservative yes for zero-width constructs). */
const nullable = (node: RegexNode): boolean => {
  switch (node.t) {
    case "char":
    case "text":
    case "any":
    case "class":
    case "category":
      return false
    case "assert":
    case "backref":
      return true
    case "group":
      return node.kind !== "capture" && node.kind !== "named" && node.kind !== "noncapture"
        ? true
        : node.body.branches.some((b) => b.every(nullable))
    case "repeat":
      return node.min === 0 || nullable(node.body)
  }
}

/** A node's width in code points when fixed, else -1 (lookbehinds are fixed: the parser checks). */
const widthOf = (node: RegexNode): number => {
  switch (node.t) {
    case "text":
      return node.s.length
    case "char":
    case "any":
    case "class":
    case "category":
      return 1
    case "assert":
      return 0
    case "group": {
      if (node.kind !== "capture" && node.kind !== "named" && node.kind !== "noncapture") return 0
      return widthOfAlt(node.body)
    }
    case "repeat": {
      const w = widthOf(node.body)
      return w === 0 ? 0 : w < 0 || node.min !== node.max ? -1 : w * node.min
    }
    case "backref":
      return -1
  }
}
const widthOfAlt = (alt: Alternation): number => {
  let width: number | undefined
  for (const b of alt.branches) {
    let w = 0
    for (const n of b) {
      const x = widthOf(n)
      if (x < 0) return -1
      w += x
    }
    if (width === undefined) width = w
    else if (width !== w) return -1
  }
  return width ?? 0
}

const hasGroup = (alt: Alternation): boolean => alt.branches.some((b) => b.some(nodeHasGroup))
const nodeHasGroup = (node: RegexNode): boolean =>
  node.t === "group"
    ? node.kind === "capture" || node.kind === "named" || hasGroup(node.body)
    : node.t === "repeat"
      ? nodeHasGroup(node.body)
      : false

class Compiler {
  readonly op: Array<number> = []
  readonly texts: Array<string> = []
  readonly classes: Array<CharClass> = []
  readonly looks: Array<Look> = []
  readonly regAt: Array<number> = []
  /** Instructions memoised whatever their predecessors (STAR, LAZY_STAR and what follows them). */
  readonly forced = new Set<number>()
  /** Group number of each capturing group node, in order of its opening parenthesis. */
  private readonly groupNumber = new Map<RegexNode, number>()
  private readonly slots = new Map<RegexNode, [number, number]>()
  private groups = 0
  registers = 0
  /** The register of the empty-check loop being compiled, or -1. */
  private reg = -1

  constructor(
    root: Alternation,
    private readonly o: LinearOptions,
  ) {
    this.number(root)
  }

  get groupCount(): number {
    return this.groups
  }

  private number(alt: Alternation): void {
    for (const b of alt.branches) for (const n of b) this.numberNode(n)
  }
  /** Numbers groups in order of their opening parenthesis; notes the slots inside each node. */
  private numberNode(node: RegexNode): void {
    const before = this.groups
    if (node.t === "group") {
      if (node.kind === "capture" || node.kind === "named") this.groupNumber.set(node, ++this.groups)
      this.number(node.body)
    } else if (node.t === "repeat") this.numberNode(node.body)
    else return
    if (this.groups > before) this.slots.set(node, [2 * (before + 1), 2 * this.groups + 2])
  }

  /** The capture slots of the groups inside a node (itself included), [from, to); empty when none. */
  private slotsIn(node: RegexNode): [number, number] {
    return this.slots.get(node) ?? [0, 0]
  }

  emit(code: number, a = 0, b = 0): number {
    const pc = this.op.length / 3
    const max = this.o.maxProgram ?? MAX_PROGRAM
    if (pc >= max)
      throw new Ineligible(`it is too large once its repetitions are written out (over ${max} instructions)`)
    this.op.push(code, a, b)
    this.regAt.push(this.reg)
    return pc
  }
  get pc(): number {
    return this.op.length / 3
  }
  private patch(pc: number, slot: 1 | 2, target: number): void {
    this.op[pc * 3 + slot] = target
  }

  alternation(alt: Alternation): void {
    const branches = alt.branches
    if (branches.length === 1) {
      this.sequence(branches[0]!)
      return
    }
    const jumps: Array<number> = []
    for (let i = 0; i < branches.length - 1; i++) {
      const split = this.emit(SPLIT)
      this.patch(split, 1, this.pc)
      this.sequence(branches[i]!)
      jumps.push(this.emit(JMP))
      this.patch(split, 2, this.pc)
    }
    this.sequence(branches[branches.length - 1]!)
    for (const j of jumps) this.patch(j, 1, this.pc)
  }

  private sequence(items: ReadonlyArray<RegexNode>): void {
    for (const n of items) this.node(n)
  }

  private node(node: RegexNode): void {
    const fold = this.o.ignoreCase === true
    switch (node.t) {
      case "char":
        if (fold) this.emit(CHAR_FOLD, foldCase(node.cp))
        else this.emit(CHAR, node.cp)
        return
      case "text":
        if (fold) {
          this.texts.push(
            Array.from(node.s, (c) => String.fromCodePoint(foldCase(c.codePointAt(0)!))).join(""),
          )
          this.emit(TEXT_FOLD, this.texts.length - 1)
        } else {
          this.texts.push(node.s)
          this.emit(TEXT, this.texts.length - 1)
        }
        return
      case "any":
        this.emit(this.o.dotAll ? ANY : ANY_NO_NL)
        return
      case "class":
        this.classes.push(charClass(node, fold))
        this.emit(CLASS, this.classes.length - 1)
        return
      case "category":
        this.classes.push(charClass(node, fold))
        this.emit(CLASS, this.classes.length - 1)
        return
      case "assert":
        this.emit(
          ASSERT,
          node.k === "^" || node.k === "A"
            ? A_START
            : node.k === "$"
              ? A_END
              : node.k === "Z"
                ? A_END_STRING
                : node.k === "b"
                  ? A_WORD
                  : A_NOT_WORD,
        )
        return
      case "backref":
        throw new Ineligible("it uses a back-reference")
      case "group":
        this.group(node)
        return
      case "repeat":
        this.repeat(node)
        return
    }
  }

  private group(node: Extract<RegexNode, { t: "group" }>): void {
    const g = this.groupNumber.get(node)
    if (g !== undefined) {
      this.emit(SAVE, 2 * g)
      this.alternation(node.body)
      this.emit(SAVE, 2 * g + 1)
      return
    }
    if (node.kind === "noncapture") {
      this.alternation(node.body)
      return
    }
    const behind = node.kind === "lookbehind" || node.kind === "negLookbehind"
    const negated = node.kind === "negLookahead" || node.kind === "negLookbehind"
    if (behind && hasGroup(node.body)) throw new Ineligible("it has a capturing group inside a lookbehind")
    // `(?<=c)`, `(?=c)` and their negations for one literal character (st2 puts four around
    // every placeholder): a direct look at the character before or after.
    const only =
      node.body.branches.length === 1 && node.body.branches[0]!.length === 1 && node.body.branches[0]![0]!
    if (only !== false && only.t === "char" && this.o.ignoreCase !== true) {
      this.emit(behind ? BEHIND_CHAR : AHEAD_CHAR, only.cp, negated ? 1 : 0)
      return
    }
    const width = behind ? widthOfAlt(node.body) : 0
    if (width < 0) throw new Ineligible("it has a lookbehind without a fixed width")
    const [slotFrom, slotTo] = this.slotsIn(node)
    // The body is compiled out of line: jump over it.
    const skip = this.emit(JMP)
    const saved = this.reg
    this.reg = -1
    const entry = this.pc
    this.alternation(node.body)
    this.emit(MATCH)
    this.reg = saved
    this.patch(skip, 1, this.pc)
    this.looks.push({ entry, behind, negated, width, slotFrom, slotTo })
    this.emit(LOOK, this.looks.length - 1)
  }

  private iteration(body: RegexNode, checked: boolean, slots: [number, number]): void {
    if (slots[1] > slots[0]) this.emit(RESET, slots[0], slots[1])
    if (!checked) {
      this.node(body)
      return
    }
    if (this.reg >= 0)
      throw new Ineligible("it repeats, inside a repeat, something that can match empty text")
    const reg = this.registers++
    this.emit(SET_REG, reg)
    this.reg = reg
    this.node(body)
    this.emit(CHECK, reg)
    this.reg = -1
  }

  /** A single-character node as a one-character matcher (kind, operand), if it is one. */
  private single(node: RegexNode): readonly [number, number] | undefined {
    const fold = this.o.ignoreCase === true
    switch (node.t) {
      case "any":
        return [this.o.dotAll ? M_ANY : M_ANY_NO_NL, 0]
      case "char":
        return fold ? [M_CHAR_FOLD, foldCase(node.cp)] : [M_CHAR, node.cp]
      case "class":
        this.classes.push(charClass(node, fold))
        return [M_CLASS, this.classes.length - 1]
      case "category":
        this.classes.push(charClass(node, fold))
        return [M_CLASS, this.classes.length - 1]
      default:
        return undefined
    }
  }

  private repeat(node: Extract<RegexNode, { t: "repeat" }>): void {
    const { body, min, max, lazy } = node
    const slots = this.slotsIn(body)
    // ECMAScript: iterations past the minimum fail when they match empty text.
    const checked = nullable(body)
    for (let i = 0; i < min; i++) this.iteration(body, false, slots)
    // One character, repeated without bound (`\s*`, `.+?`...) or optional (`["']?`): one
    // instruction instead of a loop of them. No captures, never empty: nothing else to keep.
    const one = max === Number.POSITIVE_INFINITY || (max === min + 1 && !lazy) ? this.single(body) : undefined
    if (one !== undefined) {
      const pc = this.emit(
        max === Number.POSITIVE_INFINITY ? (lazy ? LAZY_STAR : STAR) : OPTIONAL,
        one[1],
        one[0],
      )
      if (max === Number.POSITIVE_INFINITY) this.forced.add(pc)
      this.forced.add(pc + 1)
      return
    }
    if (max === Number.POSITIVE_INFINITY) {
      const loop = this.emit(SPLIT)
      const start = this.pc
      this.iteration(body, checked, slots)
      const back = this.emit(JMP)
      this.patch(back, 1, loop)
      const exit = this.pc
      if (lazy) {
        this.patch(loop, 1, exit)
        this.patch(loop, 2, start)
      } else {
        this.patch(loop, 1, start)
        this.patch(loop, 2, exit)
      }
      return
    }
    const splits: Array<number> = []
    for (let i = min; i < max; i++) {
      const split = this.emit(SPLIT)
      splits.push(split)
      const start = this.pc
      this.iteration(body, checked, slots)
      if (lazy) this.patch(split, 2, start)
      else this.patch(split, 1, start)
    }
    const exit = this.pc
    for (const split of splits) this.patch(split, lazy ? 1 : 2, exit)
  }
}

const classTables = (classes: ReadonlyArray<CharClass>): Uint8Array => {
  const out = new Uint8Array(128 * classes.length)
  classes.forEach((k, i) => {
    out.set(k.ascii, 128 * i)
  })
  return out
}

/**
 * Compiles a parsed pattern (the tree `parsePythonRegex` gives, anchors added as the caller
 * wants). Throws `Ineligible` for what this matcher does not take.
 */
export const compileLinear = (root: Alternation, options: LinearOptions): LinearProgram => {
  const c = new Compiler(root, options)
  c.emit(SAVE, 0)
  c.alternation(root)
  c.emit(SAVE, 1)
  c.emit(MATCH)
  const ops = Int32Array.from(c.op)
  const n = ops.length / 3
  // Memoised: the instructions reached from more than one place (loop heads, the ends of
  // alternations and optionals). Every other one has a single predecessor, so it cannot be
  // visited at a position more often than that predecessor: one visit per state in all.
  const preds = new Int32Array(n + 1)
  for (let pc = 0; pc < n; pc++) {
    const op = ops[pc * 3]!
    if (op === SPLIT) {
      preds[ops[pc * 3 + 1]!]!++
      preds[ops[pc * 3 + 2]!]!++
    } else if (op === JMP) preds[ops[pc * 3 + 1]!]!++
    else if (op !== MATCH) preds[pc + 1]!++
  }
  const memoRow = new Int32Array(n).fill(-1)
  const regOf = new Int32Array(n).fill(-1)
  let rows = 0
  for (let pc = 0; pc < n; pc++) {
    if (preds[pc]! < 2 && !c.forced.has(pc)) continue
    memoRow[pc] = rows
    regOf[pc] = c.regAt[pc] ?? -1
    rows += regOf[pc]! >= 0 ? 2 : 1
  }
  const first = root.branches.length === 1 ? root.branches[0]![0] : undefined
  const classList = c.classes
  const guards: Array<Guard | undefined> = []
  for (let pc = 0; pc < n; pc++) {
    const op = ops[pc * 3]!
    if (op === STAR || op === LAZY_STAR) guards[pc] = guardAt(ops, c.texts, classList, pc + 1)
  }
  return {
    ops,
    texts: c.texts,
    classes: c.classes.map((k) => k.test),
    classAscii: classTables(c.classes),
    looks: c.looks,
    memoRow,
    regOf,
    rows,
    registers: c.registers,
    groupCount: c.groupCount,
    anchored: first !== undefined && first.t === "assert" && (first.k === "^" || first.k === "A"),
    guards,
  }
}

/** The most instructions `guardAt` looks through before it gives up (no guard). */
const GUARD_SEARCH = 64

/**
 * What the program from `entry` on can start with, looking through zero-width bookkeeping and
 * both sides of each choice; `undefined` when it cannot tell cheaply (anything may follow, an
 * assertion other than `$`, a lookaround, the end of the pattern).
 */
const guardAt = (
  ops: Int32Array,
  texts: ReadonlyArray<string>,
  classes: ReadonlyArray<CharClass>,
  entry: number,
): Guard | undefined => {
  const ascii = new Uint8Array(128)
  let other = false
  let end = false
  const seen = new Set<number>()
  const todo = [entry]
  const addChar = (cp: number) => {
    if (cp < 128) ascii[cp] = 1
    else other = true
  }
  /** A one-character matcher's characters; false when it is not a simple set. */
  const addOne = (kind: number, a: number): boolean => {
    if (kind === M_CHAR) addChar(a)
    else if (kind === M_CLASS) {
      const k = classes[a]!
      for (let cp = 0; cp < 128; cp++) if (k.ascii[cp] === 1) ascii[cp] = 1
      other = true
    } else return false
    return true
  }
  while (todo.length > 0) {
    const pc = todo.pop()!
    if (seen.has(pc)) continue
    seen.add(pc)
    if (seen.size > GUARD_SEARCH) return undefined
    const op = ops[pc * 3]!
    const a = ops[pc * 3 + 1]!
    const b = ops[pc * 3 + 2]!
    switch (op) {
      case SAVE:
      case RESET:
      case SET_REG:
      case CHECK:
        todo.push(pc + 1)
        break
      case JMP:
        todo.push(a)
        break
      case SPLIT:
        todo.push(a, b)
        break
      case CHAR:
        addChar(a)
        break
      case TEXT:
        addChar(texts[a]!.charCodeAt(0))
        break
      case CLASS:
        addOne(M_CLASS, a)
        break
      case OPTIONAL:
      case STAR:
      case LAZY_STAR:
        if (!addOne(b, a)) return undefined
        todo.push(pc + 1)
        break
      case ASSERT:
        // Python's `$`: the end, or a final newline.
        if (a === A_END) {
          end = true
          ascii[10] = 1
        } else if (a === A_END_STRING) end = true
        else return undefined
        break
      default:
        return undefined
    }
  }
  return { ascii, other, end }
}

/** Whether the rest guarded by `g` can start at `pos`. */
const canStart = (g: Guard, input: string, pos: number, n: number): boolean => {
  if (pos >= n) return g.end
  const u = input.charCodeAt(pos)
  return u < 128 ? g.ascii[u] === 1 : g.other
}

// ---------------------------------------------------------------------------------------------
// Execution.

/** Counts instructions executed, for tests that bound the work (never a time). */
export interface MatchWork {
  steps: number
}

// Backtrack stack entries, four integers each: kind, a, b, c.
const BT_BRANCH = 0 // resume at instruction a, position b
const BT_CAP = 1 // restore capture slot a to b
const BT_REG = 2 // restore register a to b
const BT_FAILED = 3 // state a has failed: remember it
const BT_BARRIER = 4 // the bottom of a (sub-)match: it failed
const BT_STAR = 5 // STAR at instruction a entered at b, the rest last tried from c
const BT_LAZY = 6 // LAZY_STAR at instruction a entered at b, the rest last tried from c

const isLead = (u: number): boolean => u >= 0xd800 && u <= 0xdbff
const isTrail = (u: number): boolean => u >= 0xdc00 && u <= 0xdfff

const cpAt = (s: string, i: number): number => {
  const u = s.charCodeAt(i)
  if (u >= 0xd800 && u <= 0xdbff && i + 1 < s.length) {
    const v = s.charCodeAt(i + 1)
    if (v >= 0xdc00 && v <= 0xdfff) return ((u - 0xd800) << 10) + (v - 0xdc00) + 0x10000
  }
  return u
}
const cpBefore = (s: string, i: number): number => {
  const v = s.charCodeAt(i - 1)
  if (v >= 0xdc00 && v <= 0xdfff && i >= 2) {
    const u = s.charCodeAt(i - 2)
    if (u >= 0xd800 && u <= 0xdbff) return ((u - 0xd800) << 10) + (v - 0xdc00) + 0x10000
  }
  return v
}

let stack: Int32Array = new Int32Array(4 * 1024)
const growStack = (): Int32Array => {
  const bigger = new Int32Array(stack.length * 2)
  bigger.set(stack)
  stack = bigger
  return bigger
}
const NO_LOOKS = new Uint8Array(0)
/** The failed-state bits, shared by every run (one run uses them at a time: see `claim`). */
let memo = new Uint32Array(1024)
let memoOwner = 0
let runs = 0
const reusable = new WeakMap<LinearProgram, LinearRun>()

/**
 * One input under one program: `exec(from)` is `RegExp.prototype.exec` with `lastIndex = from`
 * (searching forwards); the memo of failed states carries over from one `exec` to the next (a
 * state that failed fails whatever the start), so `matchAll` as a whole stays linear.
 */
export class LinearRun {
  /** Capture slots of the last successful `exec`: `[start0, end0, start1, end1, ...]`, -1 unset. */
  readonly caps: Int32Array
  private readonly regs: Int32Array
  private input = ""
  private n = 0
  private width = 1
  /** Lookaround outcomes per position: 0 unknown, 1 true, 2 false. */
  private lookMemo: Uint8Array = NO_LOOKS
  private lookCaps: Map<number, Int32Array> | undefined
  private sp = 0
  private id = 0
  /** The start position when it lies inside a surrogate pair (nothing is read there), or -1. */
  private mid = -1
  private work: MatchWork | undefined

  constructor(
    private readonly p: LinearProgram,
    input: string,
    work?: MatchWork,
  ) {
    this.caps = new Int32Array(2 * (p.groupCount + 1))
    this.regs = new Int32Array(p.registers)
    this.reset(input, work)
  }

  /**
   * A run of `program` over `input`, reusing the one made for the program's previous input
   * (the per-command path makes one run per format it tries): valid until the next `reuse` of
   * the same program.
   */
  static reuse(program: LinearProgram, input: string, work?: MatchWork): LinearRun {
    const kept = reusable.get(program)
    if (kept === undefined) {
      const run = new LinearRun(program, input, work)
      reusable.set(program, run)
      return run
    }
    kept.reset(input, work)
    return kept
  }

  private reset(input: string, work: MatchWork | undefined): void {
    this.input = input
    this.work = work
    this.n = input.length
    this.width = input.length + 1
    this.caps.fill(-1)
    this.lookCaps = undefined
    this.id = ++runs
    const looks = this.p.looks.length * this.width
    if (looks === 0) this.lookMemo = NO_LOOKS
    else if (this.lookMemo.length >= looks && this.lookMemo.length <= 4 * looks + 1024)
      this.lookMemo.fill(0, 0, looks)
    else this.lookMemo = new Uint8Array(looks)
  }

  /** Takes the shared memo for this run, cleared, unless this run already holds it. */
  private claim(): void {
    if (memoOwner === this.id) return
    const words = Math.ceil((this.p.rows * this.width) / 32)
    if (memo.length < words) memo = new Uint32Array(Math.max(words, 2 * memo.length))
    else memo.fill(0, 0, words)
    memoOwner = this.id
  }

  /**
   * Finds the first match at or after `from`; true when found (its groups are in `caps`). Like
   * V8, the search also starts between the two halves of a surrogate pair, where nothing can be
   * read (so only an empty match of zero-width assertions can start there).
   */
  exec(from: number): boolean {
    this.claim()
    const caps = this.caps
    const input = this.input
    for (let start = from; start <= this.n; start++) {
      if (this.p.anchored && start > 0) return false
      caps.fill(-1)
      this.sp = 0
      this.mid =
        start > 0 && isLead(input.charCodeAt(start - 1)) && isTrail(input.charCodeAt(start)) ? start : -1
      if (this.run(0, start, -1)) return true
    }
    return false
  }

  private push(kind: number, a: number, b: number): void {
    if (this.sp + 4 > stack.length) growStack()
    stack[this.sp] = kind
    stack[this.sp + 1] = a
    stack[this.sp + 2] = b
    this.sp += 4
  }

  /** The memo key of state (pc, pos); pc is memoised. */
  private key(pc: number, pos: number): number {
    const r = this.p.regOf[pc]!
    const row = this.p.memoRow[pc]!
    return (r >= 0 && this.regs[r] === pos ? row + 1 : row) * this.width + pos
  }

  /** Marks (pc, q) failed for every q in (from, to]: positions a STAR or LAZY_STAR went through. */
  private failRange(pc: number, from: number, to: number): void {
    for (let q = to; q > from; q--) {
      const key = this.key(pc, q)
      memo[key >>> 5]! |= 1 << (key & 31)
    }
  }

  /** How many code units the one-character matcher (kind, a) takes at `pos`: 0 when none. */
  private one(kind: number, a: number, pos: number): number {
    const input = this.input
    if (pos >= this.n || pos === this.mid) return 0
    const u = input.charCodeAt(pos)
    switch (kind) {
      case M_ANY:
        return u >= 0xd800 && u <= 0xdbff && pos + 1 < this.n && isTrail(input.charCodeAt(pos + 1)) ? 2 : 1
      case M_ANY_NO_NL:
        return u === 10
          ? 0
          : u >= 0xd800 && u <= 0xdbff && pos + 1 < this.n && isTrail(input.charCodeAt(pos + 1))
            ? 2
            : 1
      case M_CLASS: {
        if (u < 128) return this.p.classAscii[(a << 7) | u] === 1 ? 1 : 0
        const cp = cpAt(input, pos)
        return this.p.classes[a]!(cp) ? (cp > 0xffff ? 2 : 1) : 0
      }
      case M_CHAR: {
        if (a < 0xd800) return u === a ? 1 : 0
        const cp = cpAt(input, pos)
        return cp === a ? (cp > 0xffff ? 2 : 1) : 0
      }
      default: {
        const cp = cpAt(input, pos)
        return foldCase(cp) === a ? (cp > 0xffff ? 2 : 1) : 0
      }
    }
  }

  /**
   * Runs from instruction `entry` at `start` until MATCH (true; the stack is back where it was)
   * or until every alternative failed (false). `target` >= 0: MATCH also requires `pos ===
   * target` (a lookbehind's body must end where the lookbehind stands).
   */
  private run(entry: number, start: number, target: number): boolean {
    const { ops, memoRow, regOf, texts, classes, classAscii, guards } = this.p
    const input = this.input
    const n = this.n
    const width = this.width
    const caps = this.caps
    const regs = this.regs
    const mid = this.mid
    const base = this.sp
    // The memo is only ever replaced by `claim`, before a run.
    const mem = memo
    let stk: Int32Array = stack
    let sp = base
    if (sp + 4 > stk.length) stk = growStack()
    stk[sp] = BT_BARRIER
    sp += 4
    let pc = entry
    let pos = start
    let steps = 0
    // Each instruction either continues `step` (it matched) or breaks out of `fail` to backtrack.
    step: for (;;) {
      steps++
      if (sp + 8 > stk.length) stk = growStack()
      fail: {
        const row = memoRow[pc]!
        if (row >= 0) {
          const r = regOf[pc]!
          const key = (r >= 0 && regs[r] === pos ? row + 1 : row) * width + pos
          if ((mem[key >>> 5]! & (1 << (key & 31))) !== 0) break fail
          stk[sp] = BT_FAILED
          stk[sp + 1] = key
          sp += 4
        }
        const i = pc * 3
        const a = ops[i + 1]!
        switch (ops[i]) {
          case CHAR:
            if (a < 0xd800) {
              if (pos >= n || input.charCodeAt(pos) !== a) break fail
              pos++
            } else {
              if (pos >= n || pos === mid || cpAt(input, pos) !== a) break fail
              pos += a > 0xffff ? 2 : 1
            }
            pc++
            continue step
          case TEXT: {
            const t = texts[a]!
            if (!input.startsWith(t, pos)) break fail
            pos += t.length
            pc++
            continue step
          }
          case SPLIT:
            stk[sp] = BT_BRANCH
            stk[sp + 1] = ops[i + 2]!
            stk[sp + 2] = pos
            sp += 4
            pc = a
            continue step
          case JMP:
            pc = a
            continue step
          case SAVE:
            stk[sp] = BT_CAP
            stk[sp + 1] = a
            stk[sp + 2] = caps[a]!
            sp += 4
            caps[a] = pos
            pc++
            continue step
          case OPTIONAL: {
            const kind = ops[i + 2]!
            const u = pos < n ? input.charCodeAt(pos) : 128
            const len =
              kind === M_CLASS && u < 128 && pos !== mid ? classAscii[(a << 7) | u]! : this.one(kind, a, pos)
            if (len > 0) {
              stk[sp] = BT_BRANCH
              stk[sp + 1] = pc + 1
              stk[sp + 2] = pos
              sp += 4
              pos += len
            }
            pc++
            continue step
          }
          case STAR: {
            // The whole run; the rest is tried from its end first (BT_STAR gives back the rest).
            // Where STAR entered later in the run is known to fail, so is the rest from there
            // on: the scan stops before it (each position of a run is scanned once in all).
            const kind = ops[i + 2]!
            let end = pos
            for (let len = this.one(kind, a, end); len > 0; len = this.one(kind, a, end)) {
              if (this.failed(this.key(pc, end + len))) break
              end += len
            }
            steps += end - pos
            if (end > pos) {
              stk[sp] = BT_STAR
              stk[sp + 1] = pc
              stk[sp + 2] = pos
              stk[sp + 3] = end
              sp += 4
              pos = end
            }
            const g = guards[pc]
            if (g !== undefined && !canStart(g, input, pos, n)) break fail
            pc++
            continue step
          }
          case LAZY_STAR: {
            // The rest first; BT_LAZY takes one more character when it fails (at once, when the
            // rest cannot start here).
            stk[sp] = BT_LAZY
            stk[sp + 1] = pc
            stk[sp + 2] = pos
            stk[sp + 3] = pos
            sp += 4
            const g = guards[pc]
            if (g !== undefined && !canStart(g, input, pos, n)) break fail
            pc++
            continue step
          }
          case ASSERT:
            if (
              a === A_START
                ? pos !== 0
                : a === A_END
                  ? pos !== n && !(pos === n - 1 && input.charCodeAt(pos) === 10)
                  : !assertion(a, input, pos, n)
            )
              break fail
            pc++
            continue step
          case CLASS: {
            if (pos >= n || pos === mid) break fail
            const u = input.charCodeAt(pos)
            if (u < 128) {
              if (classAscii[(a << 7) | u] !== 1) break fail
              pos++
            } else {
              const cp = cpAt(input, pos)
              if (!classes[a]!(cp)) break fail
              pos += cp > 0xffff ? 2 : 1
            }
            pc++
            continue step
          }
          case ANY: {
            if (pos >= n || pos === mid) break fail
            const u = input.charCodeAt(pos)
            pos += u >= 0xd800 && u <= 0xdbff && pos + 1 < n && isTrail(input.charCodeAt(pos + 1)) ? 2 : 1
            pc++
            continue step
          }
          case ANY_NO_NL: {
            if (pos >= n || pos === mid) break fail
            const u = input.charCodeAt(pos)
            if (u === 10) break fail
            pos += u >= 0xd800 && u <= 0xdbff && pos + 1 < n && isTrail(input.charCodeAt(pos + 1)) ? 2 : 1
            pc++
            continue step
          }
          case CHAR_FOLD: {
            if (pos >= n || pos === mid) break fail
            const cp = cpAt(input, pos)
            if (foldCase(cp) !== a) break fail
            pos += cp > 0xffff ? 2 : 1
            pc++
            continue step
          }
          case TEXT_FOLD: {
            const t = texts[a]!
            let j = 0
            while (j < t.length && pos + j < n && foldCase(input.charCodeAt(pos + j)) === t.charCodeAt(j)) j++
            // The text holds no surrogates, so it never ends inside a pair.
            if (j !== t.length) break fail
            pos += j
            pc++
            continue step
          }
          case RESET:
            for (let s = a; s < ops[i + 2]!; s++)
              if (caps[s] !== -1) {
                if (sp + 4 > stk.length) stk = growStack()
                stk[sp] = BT_CAP
                stk[sp + 1] = s
                stk[sp + 2] = caps[s]!
                sp += 4
                caps[s] = -1
              }
            pc++
            continue step
          case SET_REG:
            stk[sp] = BT_REG
            stk[sp + 1] = a
            stk[sp + 2] = regs[a]!
            sp += 4
            regs[a] = pos
            pc++
            continue step
          case CHECK:
            if (regs[a] === pos) break fail
            pc++
            continue step
          case BEHIND_CHAR: {
            const hit = pos > 0 && pos !== mid && cpBefore(input, pos) === a
            if (hit === (ops[i + 2] === 1)) break fail
            pc++
            continue step
          }
          case AHEAD_CHAR: {
            const hit = pos < n && pos !== mid && cpAt(input, pos) === a
            if (hit === (ops[i + 2] === 1)) break fail
            pc++
            continue step
          }
          case LOOK: {
            this.sp = sp
            const found = this.look(a, pos)
            sp = this.sp
            stk = stack
            if (!found) break fail
            pc++
            continue step
          }
          case MATCH:
            if (target >= 0 && pos !== target) break fail
            // Success: drop what this (sub-)match pushed; its captures stay as they are.
            this.sp = base
            if (this.work !== undefined) this.work.steps += steps
            return true
        }
      }
      // Backtrack to the latest alternative, undoing and remembering failures on the way.
      for (;;) {
        sp -= 4
        const kind = stk[sp]!
        if (kind === BT_BRANCH) {
          pc = stk[sp + 1]!
          pos = stk[sp + 2]!
          continue step
        }
        if (kind === BT_CAP) caps[stk[sp + 1]!] = stk[sp + 2]!
        else if (kind === BT_FAILED) {
          const key = stk[sp + 1]!
          mem[key >>> 5]! |= 1 << (key & 31)
        } else if (kind === BT_LAZY) {
          const at = stk[sp + 1]!
          const from = stk[sp + 2]!
          const kind1 = ops[at * 3 + 2]!
          const a1 = ops[at * 3 + 1]!
          const g = guards[at]
          const r = regOf[at]!
          const row = memoRow[at]!
          // One more character, and more while the rest cannot start where it stands.
          let last = stk[sp + 3]!
          for (;;) {
            const len = this.one(kind1, a1, last)
            steps++
            if (len === 0) break
            const q = last + len
            const key = (r >= 0 && regs[r] === q ? row + 1 : row) * width + q
            if ((mem[key >>> 5]! & (1 << (key & 31))) !== 0) break
            last = q
            if (g === undefined || canStart(g, input, q, n)) {
              stk[sp + 3] = q
              sp += 4
              pc = at + 1
              pos = q
              continue step
            }
          }
          // No character left to take (or the rest from there is known to fail): lazily from
          // any start up to here, the same ends were tried.
          this.failRange(at, from, last)
        } else if (kind === BT_STAR) {
          const at = stk[sp + 1]!
          const from = stk[sp + 2]!
          const g = guards[at]
          let last = stk[sp + 3]!
          // One character back (a whole code point: the run started on a boundary), and more
          // while the rest cannot start there. Entered at `last`, STAR would have tried exactly
          // what failed (the run's end down to `last`): each position left is marked.
          let q: number
          for (;;) {
            const key = this.key(at, last)
            mem[key >>> 5]! |= 1 << (key & 31)
            q = last - (last - from >= 2 && cpBefore(input, last) > 0xffff ? 2 : 1)
            steps++
            if (g === undefined || canStart(g, input, q, n) || q === from) break
            last = q
          }
          if (q > from) {
            stk[sp + 3] = q
            sp += 4
          } else if (g !== undefined && !canStart(g, input, q, n)) continue
          pc = at + 1
          pos = q
          continue step
        } else if (kind === BT_REG) regs[stk[sp + 1]!] = stk[sp + 2]!
        else {
          // The barrier: this (sub-)match has no alternative left.
          this.sp = base
          if (this.work !== undefined) this.work.steps += steps
          return false
        }
      }
    }
  }

  private failed(key: number): boolean {
    return (memo[key >>> 5]! & (1 << (key & 31))) !== 0
  }

  /**
   * A lookaround at `pos`, memoised per position. A positive lookahead's captures stay after it
   * (undone with the rest on backtracking); they are kept per position too.
   */
  private look(index: number, pos: number): boolean {
    const look = this.p.looks[index]!
    const key = index * this.width + pos
    const known = this.lookMemo[key]!
    const keeps = !look.negated && look.slotTo > look.slotFrom
    if (known === 2) return look.negated
    if (known === 1 && !keeps) return !look.negated
    const groups = look.slotTo > look.slotFrom
    const caps = this.caps
    let kept = known === 1 ? this.lookCaps?.get(key) : undefined
    if (kept === undefined) {
      let start = pos
      let found = true
      // Nothing can be read backwards from inside a surrogate pair either (and the memo of the
      // body's states assumes it ends on a character boundary).
      if (look.behind && look.width > 0 && pos === this.mid) found = false
      if (look.behind)
        for (let k = 0; k < look.width && found; k++) {
          if (start <= 0) found = false
          else start -= cpBefore(this.input, start) > 0xffff ? 2 : 1
        }
      const before = groups ? caps.slice(look.slotFrom, look.slotTo) : undefined
      if (found) found = this.run(look.entry, start, look.behind ? pos : -1)
      this.lookMemo[key] = found ? 1 : 2
      if (!keeps) {
        // A successful body leaves its captures set; a negative lookahead drops them.
        if (before !== undefined) caps.set(before, look.slotFrom)
        return found !== look.negated
      }
      kept = caps.slice(look.slotFrom, look.slotTo)
      caps.set(before!, look.slotFrom)
      if (!found) return false
      this.lookCaps ??= new Map()
      this.lookCaps.set(key, kept)
    }
    for (let s = look.slotFrom; s < look.slotTo; s++) {
      const v = kept[s - look.slotFrom]!
      if (caps[s] !== v) {
        this.push(BT_CAP, s, caps[s]!)
        caps[s] = v
      }
    }
    return true
  }
}

const assertion = (k: number, s: string, pos: number, n: number): boolean => {
  switch (k) {
    case A_START:
      return pos === 0
    case A_END:
      return pos === n || (pos === n - 1 && s.charCodeAt(pos) === 10)
    case A_END_STRING:
      return pos === n
    default: {
      const before = pos > 0 && isWordChar(cpBefore(s, pos))
      const after = pos < n && isWordChar(cpAt(s, pos))
      return (before !== after) === (k === A_WORD)
    }
  }
}
