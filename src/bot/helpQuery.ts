import { Either } from "effect"
import { compileHelpFilter } from "../aliases/helpFilter.ts"

/**
 * `!st2help` arguments, with st2's help endpoint meaning: `filter` is a case-insensitive regular
 * expression (Python's dialect) searched in each command's display string.
 */
export interface HelpQuery {
  readonly pack?: string
  readonly filter?: string
  readonly limit?: number
  readonly offset?: number
}

export const helpUsage = "usage: help [--pack PACK] [--filter REGEX] [--limit N] [--offset N]"

/** Splits on whitespace, keeping "double" or 'single' quoted words together (quotes dropped). */
const words = (args: string): string[] =>
  [...args.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? "")

/** Parses `--pack P --filter F --limit N --offset N` (also `--flag=value`); a bare word is a filter. */
export const parseHelpQuery = (args: string): Either.Either<HelpQuery, string> => {
  const query: { pack?: string; filter?: string; limit?: number; offset?: number } = {}
  const list = words(args)
  for (let i = 0; i < list.length; i++) {
    const word = list[i]!
    const flag = /^--(pack|filter|limit|offset)(?:=(.*))?$/.exec(word)
    if (flag === null) {
      if (word.startsWith("--")) return Either.left(`unknown option "${word}"; ${helpUsage}`)
      if (query.filter !== undefined) return Either.left(`unexpected "${word}"; ${helpUsage}`)
      query.filter = word
      continue
    }
    const name = flag[1] as keyof HelpQuery
    const value = flag[2] ?? list[++i]
    if (value === undefined) return Either.left(`--${name} needs a value; ${helpUsage}`)
    if (name === "limit" || name === "offset") {
      if (!/^\d+$/.test(value)) return Either.left(`--${name} must be a whole number, got "${value}"`)
      query[name] = Number(value)
    } else {
      query[name] = value
    }
  }
  // Checked as the index will run it (Python's dialect, the linear matcher): a filter that
  // cannot be used is answered, never guessed at.
  if (query.filter !== undefined) {
    const program = compileHelpFilter(query.filter)
    if (Either.isLeft(program)) return Either.left(program.left)
  }
  return Either.right(query)
}
