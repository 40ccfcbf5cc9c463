import { type ParseResult, SchemaAST as AST } from "effect"
import type { ConfigProblem } from "./ConfigError.ts"
import { HINT_SEPARATOR, kindOf } from "./configLeaves.ts"
import { type ConfigPath, formatPath } from "./configPath.ts"
import { suggestion } from "./didYouMean.ts"

/** A problem and the exact location it came from (so the caller can drop the bad value). */
export interface LocatedProblem {
  readonly at: ConfigPath
  readonly problem: ConfigProblem
}

/**
 * Flattens a Schema parse issue (decoded with `errors: "all"`) into one problem per bad value.
 * Messages come from the leaf schemas or are generic ("must be a mapping, got text"); a bad value
 * is never quoted here, so secrets cannot leak. Unknown keys get a did-you-mean hint from the keys
 * of the mapping they were found in.
 */
export const issuesToProblems = (
  issue: ParseResult.ParseIssue,
  base: ConfigPath = [],
  retired: Readonly<Record<string, string>> = {},
): ReadonlyArray<LocatedProblem> => {
  const out: LocatedProblem[] = []
  const push = (at: ConfigPath, message: string, hint?: string): undefined => {
    out.push({ at, problem: { path: formatPath(at), message, ...(hint === undefined ? {} : { hint }) } })
    return undefined
  }

  const walk = (i: ParseResult.ParseIssue, at: ConfigPath, keys: ReadonlyArray<string>): undefined => {
    switch (i._tag) {
      case "Pointer": {
        const segments = (Array.isArray(i.path) ? i.path : [i.path]) as ReadonlyArray<PropertyKey>
        return walk(i.issue, [...at, ...segments.map((s) => (typeof s === "number" ? s : String(s)))], keys)
      }
      case "Composite": {
        const inner = AST.isTypeLiteral(i.ast) ? i.ast.propertySignatures.map((p) => String(p.name)) : keys
        for (const sub of Array.isArray(i.issues) ? i.issues : [i.issues])
          walk(sub as ParseResult.ParseIssue, at, inner)
        return
      }
      case "Unexpected": {
        const key = String(at[at.length - 1] ?? "")
        const retiredHint = retired[formatPath(at)]
        return push(
          at,
          `unknown key \`${key}\``,
          retiredHint ??
            (keys.length === 0
              ? "this mapping takes no keys: write {}"
              : suggestion(key, keys, "known keys here")),
        )
      }
      case "Missing":
        return push(at, "is required")
      case "Refinement":
      case "Transformation":
        return walk(i.issue, at, keys)
      case "Type": {
        if (i.message !== undefined) {
          const [message, hint] = i.message.split(HINT_SEPARATOR)
          return push(at, message ?? i.message, hint)
        }
        if (AST.isTypeLiteral(i.ast)) {
          return push(at, `must be a mapping (key: value lines), got ${kindOf(i.actual)}`)
        }
        if (AST.isTupleType(i.ast))
          return push(at, `must be a list (lines starting with -), got ${kindOf(i.actual)}`)
        return push(at, `has the wrong type (got ${kindOf(i.actual)})`)
      }
      case "Forbidden":
        return push(at, "could not be checked")
    }
  }
  walk(issue, base, [])
  return out
}
