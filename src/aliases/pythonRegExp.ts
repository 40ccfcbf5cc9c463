import { parsePythonRegex } from "./PythonRegex.ts"
import { toJsSource } from "./pythonRegexToJs.ts"

/**
 * Compiles a Python regular expression (str pattern) to an equivalent JavaScript RegExp.
 * `flags` may add `g` (finditer), `i` (IGNORECASE), `s` (DOTALL); `u` is always set.
 * Throws `RegexDialectError` (or a SyntaxError from the JavaScript engine) when it cannot.
 */
export const pythonRegExp = (
  source: string,
  flags: { dotAll?: boolean; ignoreCase?: boolean; global?: boolean } = {},
) => {
  const parsed = parsePythonRegex(source)
  const js = toJsSource(parsed.root, { dotAll: flags.dotAll === true })
  return new RegExp(
    js,
    `u${flags.dotAll === true ? "s" : ""}${flags.ignoreCase === true ? "i" : ""}${flags.global === true ? "g" : ""}`,
  )
}
