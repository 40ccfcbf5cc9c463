import { MAX_WORDS } from "./PreparedCommand.ts"
import { isPySpace } from "./pythonRegexToJs.ts"
import type { LiteralPrefix } from "./regexAnalysis.ts"

const endsWithSpace = (text: string): boolean => text !== "" && isPySpace(text.charCodeAt(text.length - 1))

/**
 * `pyWords(text, Infinity)` as a loop: every Python whitespace character is one UTF-16 unit
 * outside the surrogates, so splitting on units splits on the same characters.
 */
const prefixWords = (text: string): Array<string> => {
  const words: Array<string> = []
  let start = -1
  for (let i = 0; i < text.length; i++) {
    if (isPySpace(text.charCodeAt(i))) {
      if (start >= 0) words.push(text.slice(start, i))
      start = -1
    } else if (start < 0) start = i
  }
  if (start >= 0) words.push(text.slice(start))
  return words
}

interface Node<T> {
  children: Map<string, Node<T>> | undefined
  /** Items whose literal prefix is exactly the words leading here (the last word complete). */
  exact: Array<T> | undefined
  /** Items whose literal prefix ends inside the next word: keyed by that word's start. */
  partial: Map<string, Array<T>> | undefined
}

const node = <T>(): Node<T> => ({ children: undefined, exact: undefined, partial: undefined })

/**
 * A word trie over the literal prefixes of formats. A command's candidates are the items stored
 * along the path of its first words, plus those whose last literal word is a prefix of the
 * command's next word. Items without a usable prefix are kept apart and always scanned.
 * Sound: an item that is not a candidate cannot match (its regex needs a text the command lacks).
 */
export class PrefixIndex<T> {
  private readonly root: Node<T> = node()
  readonly scanned: Array<T> = []

  add(prefixes: ReadonlyArray<LiteralPrefix> | undefined, item: T): void {
    if (prefixes === undefined || prefixes.length === 0) {
      this.scanned.push(item)
      return
    }
    for (const p of prefixes) {
      let words = prefixWords(p.text)
      const complete = p.complete || endsWithSpace(p.text) || words.length > MAX_WORDS
      if (words.length > MAX_WORDS) words = words.slice(0, MAX_WORDS)
      if (words.length === 0) {
        this.scanned.push(item)
        return
      }
      let n = this.root
      const last = words.length - 1
      for (let i = 0; i < last; i++) n = child(n, words[i]!)
      if (complete) {
        const c = child(n, words[last]!)
        if (c.exact === undefined) c.exact = [item]
        else c.exact.push(item)
      } else {
        n.partial ??= new Map()
        const list = n.partial.get(words[last]!)
        if (list === undefined) n.partial.set(words[last]!, [item])
        else list.push(item)
      }
    }
  }

  /** Items that may match a command whose first words are `words`, possibly with duplicates. */
  candidates(words: ReadonlyArray<string>, out: Array<T>): void {
    let n = this.root
    for (let i = 0; i <= words.length; i++) {
      const word = words[i]
      if (n.partial !== undefined && word !== undefined) {
        if (n.partial.size <= word.length) {
          for (const [start, items] of n.partial) if (word.startsWith(start)) out.push(...items)
        } else {
          for (let j = 1; j <= word.length; j++) {
            const items = n.partial.get(word.slice(0, j))
            if (items !== undefined) out.push(...items)
          }
        }
      }
      if (word === undefined || n.children === undefined) return
      const next = n.children.get(word)
      if (next === undefined) return
      n = next
      if (n.exact !== undefined) out.push(...n.exact)
    }
  }
}

const child = <T>(n: Node<T>, word: string): Node<T> => {
  n.children ??= new Map()
  let c = n.children.get(word)
  if (c === undefined) {
    c = node()
    n.children.set(word, c)
  }
  return c
}
