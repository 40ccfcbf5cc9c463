import { PY_SPACE_RANGES } from "./pythonRegexToJs.ts"
import { pythonRegExp } from "./pythonRegExp.ts"

/**
 * A chat command made ready for matching, as StackStorm's `ActionAliasFormatParser` does before
 * it looks at any format: `key=value` pairs at the END of the command are taken off (values bare,
 * "double quoted", 'single quoted' or `{...}`), and what is left is padded with one space on each
 * side. None of this depends on the format, so the index does it once per command.
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

// StackStorm's snippets, verbatim in Python's dialect, compiled by the same translator as formats.
const KEY = String.raw`\s*(\S+?)\s*`
const VALUE = String.raw`""|''|"(.+?)"|'(.+?)'|({.+?})|(\S+)`
const PAIRS = String.raw`(?:^|\s+)${KEY}=(${VALUE})`
const ENDING = String.raw`.*?((${PAIRS}\s*)*)$`

const endingRe = pythonRegExp(`(?:${ENDING})`, { dotAll: true })
const pairsRe = pythonRegExp(PAIRS, { dotAll: true, global: true })

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

export const prepareCommand = (command: string): PreparedCommand => {
  let stream = command
  const pairs: Array<readonly [string, string]> = []
  // `re.match`: anchored at the start; the ENDING pattern always matches.
  const ending = endingRe.exec(command)
  const tail = ending !== null && ending.index === 0 ? ending[1] : undefined
  if (tail !== undefined && tail !== "") {
    for (const m of tail.matchAll(pairsRe))
      pairs.push([m[1]!, (m[3] ?? "") + (m[4] ?? "") + (m[5] ?? "") + (m[6] ?? "")])
    // Python's str.replace: every occurrence of the tail is removed, not only the last one.
    stream = stream.split(tail).join("")
  }
  stream = ` ${stream} `
  return { original: command, stream, tail: tail ?? "", pairs, words: pyWords(stream) }
}
