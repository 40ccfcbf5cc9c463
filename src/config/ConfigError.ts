import { Data } from "effect"

/**
 * One thing wrong with a configuration. `path` is where it is in the file's own vocabulary
 * (`stackstorm.api_auth.key`, `adapters[0].type`); `message` and `hint` never contain a secret.
 */
export interface ConfigProblem {
  readonly path: string
  readonly message: string
  readonly hint?: string | undefined
}

/** Renders problems as an indented list, one per line, each hint on the line below. */
export const formatProblems = (problems: ReadonlyArray<ConfigProblem>): string =>
  problems
    .map(
      (p) =>
        `  - ${p.path === "" ? "(top level)" : p.path}: ${p.message}${p.hint ? `\n      hint: ${p.hint}` : ""}`,
    )
    .join("\n")

/**
 * A configuration that cannot be used. `source` is the file path, or "environment" when there was
 * no file; `problems` lists EVERY problem found, not just the first.
 */
export class ConfigError extends Data.TaggedError("ConfigError")<{
  readonly source: string
  readonly problems: ReadonlyArray<ConfigProblem>
}> {
  override get message(): string {
    const n = this.problems.length
    return `invalid configuration (${this.source}), ${n} problem${n === 1 ? "" : "s"}:\n${formatProblems(this.problems)}`
  }
}
