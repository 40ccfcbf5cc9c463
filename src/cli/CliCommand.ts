import { parseArgs, type ParseArgsConfig } from "node:util"
import { Data, Effect } from "effect"

/** Process exit codes of every stormbot command. */
export const ExitCode = {
  ok: 0,
  /** A runtime failure: StackStorm unreachable, a server that could not start... */
  failure: 1,
  /** Bad usage (unknown flag, missing argument) or bad configuration. */
  usage: 2,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/** Bad command-line usage; the CLI prints `message` and the command's usage, and exits 2. */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

/**
 * One subcommand. `run` gets the arguments after the command's name and answers the exit code.
 * Expected failures are handled inside `run` (printed, mapped to a code); a `UsageError` is
 * printed with `usage` by the dispatcher.
 */
export interface CliCommand {
  /** The words that select it, e.g. `["config", "check"]`. */
  readonly name: ReadonlyArray<string>
  readonly summary: string
  /** The complete `--help` text. */
  readonly usage: string
  readonly run: (args: ReadonlyArray<string>) => Effect.Effect<ExitCode, UsageError>
}

/**
 * `node:util` `parseArgs` in strict mode, with its errors turned into a `UsageError`.
 * `--help` is handled by the dispatcher before `run` is called.
 */
export const parseFlags = <const T extends NonNullable<ParseArgsConfig["options"]>>(
  args: ReadonlyArray<string>,
  options: T,
  allowPositionals = false,
) =>
  Effect.try({
    try: () => parseArgs({ args: [...args], options, strict: true, allowPositionals }),
    catch: (e) => new UsageError({ message: e instanceof Error ? e.message : String(e) }),
  })

/** Parses a flag value as a non-negative integer, or fails with a `UsageError` naming the flag. */
export const intFlag = (name: string, value: string | undefined, min = 0) =>
  value === undefined
    ? Effect.succeed(undefined)
    : /^\d+$/.test(value) && Number(value) >= min
      ? Effect.succeed(Number(value))
      : Effect.fail(new UsageError({ message: `--${name} must be an integer >= ${min}, got "${value}"` }))

/** Parses a `ws://` or `wss://` URL flag, or fails with a `UsageError` naming the flag. */
export const wsUrlFlag = (value: string | undefined, name = "inspect-ws") => {
  if (value === undefined) return Effect.succeed(undefined)
  try {
    const url = new URL(value)
    if (url.protocol === "ws:" || url.protocol === "wss:") return Effect.succeed(value)
  } catch {}
  return Effect.fail(new UsageError({ message: `--${name} must be a ws:// or wss:// URL, got "${value}"` }))
}
