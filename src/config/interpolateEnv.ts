import { type ConfigPath, formatPath } from "./configPath.ts"
import type { LocatedProblem } from "./issuesToProblems.ts"

export type Env = Readonly<Record<string, string | undefined>>

/** The result of `interpolateEnv`: the tree with `${VAR}` replaced, and what was used or missing. */
export interface Interpolated {
  readonly value: unknown
  readonly problems: ReadonlyArray<LocatedProblem>
  /** Dotted path of each interpolated string → the variables it used. */
  readonly variables: ReadonlyMap<string, ReadonlyArray<string>>
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Replaces `${VAR}` and `${VAR:-fallback}` (the fallback applies when VAR is unset or empty, as in a
 * shell) in every string of `raw`, at any depth; `$${` stands for a literal `${`. Keys are not
 * interpolated. An unset variable without a fallback is a problem at the string's path; the
 * message names the variable, never a value.
 */
export const interpolateEnv = (raw: unknown, env: Env): Interpolated => {
  const problems: LocatedProblem[] = []
  const problem = (at: ConfigPath, message: string, hint: string) =>
    problems.push({ at, problem: { path: formatPath(at), message, hint } })
  const variables = new Map<string, ReadonlyArray<string>>()

  const str = (s: string, path: ConfigPath): string => {
    if (!s.includes("$")) return s
    const used: string[] = []
    let out = ""
    let i = 0
    while (i < s.length) {
      if (s.startsWith("$${", i)) {
        out += "${"
        i += 3
        continue
      }
      if (!s.startsWith("${", i)) {
        out += s[i]
        i += 1
        continue
      }
      const end = s.indexOf("}", i + 2)
      if (end < 0) {
        problem(
          path,
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the ${VAR} syntax shown to the operator
          "has a `${` without its closing `}`",
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the ${VAR} syntax shown to the operator
          "write ${NAME} to use an environment variable, or $${ for a literal ${",
        )
        return s
      }
      const body = s.slice(i + 2, end)
      const sep = body.indexOf(":-")
      const name = sep < 0 ? body : body.slice(0, sep)
      const fallback = sep < 0 ? undefined : body.slice(sep + 2)
      if (!NAME.test(name)) {
        problem(
          path,
          `\`\${${name}}\` is not a valid environment variable reference`,
          "names are letters, digits and _ (not starting with a digit); write $${ for a literal ${",
        )
        return s
      }
      used.push(name)
      const value = env[name]
      if (fallback !== undefined && (value === undefined || value === "")) out += fallback
      else if (value === undefined) {
        problem(
          path,
          `uses the environment variable ${name}, which is not set`,
          `set ${name}, give a fallback with \${${name}:-value}, or write $\${ for a literal \${`,
        )
      } else out += value
      i = end + 1
    }
    if (used.length > 0) variables.set(formatPath(path), used)
    return out
  }

  const walk = (v: unknown, path: ConfigPath): unknown => {
    if (typeof v === "string") return str(v, path)
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]))
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, [...path, k])]))
    }
    return v
  }

  return { value: walk(raw, []), problems, variables }
}
