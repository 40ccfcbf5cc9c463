import { type ConfigError, type ConfigProblem, formatProblems } from "./ConfigError.ts"

/** The text `start` and `config check` print on stderr for a bad configuration. */
export const formatConfigError = (e: ConfigError): string => {
  const n = e.problems.length
  const where = e.source === "environment" ? "the environment (no configuration file)" : e.source
  return [
    `stormbot: the configuration in ${where} has ${n} problem${n === 1 ? "" : "s"}:`,
    formatProblems(e.problems),
    "",
    "See docs/configuration.md for every key, its default and the ST2_* variables.",
  ].join("\n")
}

/** Warnings in the same layout, or "" when there are none. */
export const formatConfigWarnings = (warnings: ReadonlyArray<ConfigProblem>): string =>
  warnings.length === 0 ? "" : `stormbot: configuration warnings:\n${formatProblems(warnings)}`
