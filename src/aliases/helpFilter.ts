import { Either } from "effect"
import { compileLinear, Ineligible, type LinearProgram } from "./LinearMatcher.ts"
import { parsePythonRegex, RegexDialectError } from "./PythonRegex.ts"

/** The longest `--filter` accepted, in characters. */
export const MAX_FILTER_LENGTH = 200
/** The largest filter program, in instructions (`a{1000}` counts a thousand). */
export const MAX_FILTER_PROGRAM = 2_000

/**
 * A help filter (st2: `re.search(filter, display, re.IGNORECASE)`) compiled for the linear
 * matcher: parsed as Python reads it, case-insensitive, `.` not matching a newline (no DOTALL).
 * A leading `(?i)` is dropped (the search is case-insensitive anyway). Fails with what is wrong
 * with the filter, written for the chat user ("--filter ...").
 */
export const compileHelpFilter = (filter: string): Either.Either<LinearProgram, string> => {
  if (filter.length > MAX_FILTER_LENGTH)
    return Either.left(`--filter is ${filter.length} characters long; the limit is ${MAX_FILTER_LENGTH}`)
  const pattern = filter.startsWith("(?i)") ? filter.slice(4) : filter
  try {
    return Either.right(
      compileLinear(parsePythonRegex(pattern).root, {
        dotAll: false,
        ignoreCase: true,
        maxProgram: MAX_FILTER_PROGRAM,
      }),
    )
  } catch (e) {
    if (e instanceof Ineligible) return Either.left(`--filter "${filter}" cannot be used: ${e.message}`)
    if (e instanceof RegexDialectError)
      return Either.left(
        e.message.startsWith("inline flags")
          ? `--filter "${filter}" cannot be used: inline flags such as (?s) are not supported in a filter`
          : `--filter "${filter}" is not a valid regular expression: ${e.message}`,
      )
    throw e
  }
}
