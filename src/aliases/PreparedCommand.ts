import { PY_SPACE_RANGES } from "./pythonRegexToJs.ts"
import { removeEvery, trailingPairs } from "./trailingPairs.ts"

/**
 * A chat command made ready for matching, as StackStorm's `ActionAliasFormatParser` does before
 * it looks at any format: `key=value` pairs at the END of the command are taken off (values bare,
 * "double quoted", 'single quoted' or `{...}`), and what is left is padded with one space on each
 * side. None of this depends on the format, so the index does it once per command. Linear in the
 * command's length (st2's own regexes are exponential on some commands).
 */
export interface PreparedCommand {
  /** The command as the user typed it (used in error messages). */
  readonly original: string
  /** `" " + command-without-trailing-pairs + " "`: the text formats are matched against. */
  readonly stream: string
  /** The trailing `key=value` text as typed (with its leading space), or "". */
  readonly tail: string
  /** The trailing pairs, in order; later keys override earlier ones. */
  readonly pairs: ReadonlyArray<readonly [string, string]>
  /** The first words of `stream`, split on Python whitespace (for the prefix index). */
  readonly words: ReadonlyArray<string>
}

/** How many leading words of a command the prefix index looks at. */
export const MAX_WORDS = 8

const SPACE_RUN = new RegExp(`[${PY_SPACE_RANGES}]+`, "u")
const NOT_SPACE = new RegExp(`[^${PY_SPACE_RANGES}]`, "u")

/** Splits on runs of Python whitespace; at most `max` words. */
export const pyWords = (text: string, max = MAX_WORDS): Array<string> => {
  const words = text.split(SPACE_RUN)
  if (words[0] === "") words.shift()
  if (words[words.length - 1] === "") words.pop()
  return words.length > max ? words.slice(0, max) : words
}

/** Python's `str.strip()` emptiness test. */
export const isPyBlank = (text: string): boolean => !NOT_SPACE.test(text)

/** st2's `match_kv_pairs_at_end` (`trailingPairs.ts`: linear in the command, whatever it holds). */
export const prepareCommand = (command: string): PreparedCommand => {
  const { tail, pairs } = trailingPairs(command)
  // Python's str.replace: every occurrence of the tail is removed, not only the last one.
  const stream = ` ${tail === "" ? command : removeEvery(command, tail)} `
  return { original: command, stream, tail, pairs, words: pyWords(stream) }
}
