import { Effect } from "effect"
import { ExitCode, type ExitCode as Code } from "./CliCommand.ts"
import { commands, type CommandEntry } from "./commands.ts"

const topUsage = (): string =>
  [
    "stormbot: StackStorm ChatOps for any chat platform",
    "",
    "Usage: stormbot <command> [flags]    (in a clone: npm run -s stormbot -- <command> [flags])",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.join(" ").padEnd(14)} ${c.summary}`),
    "",
    "Run `stormbot <command> --help` for a command's flags.",
    "Exit codes: 0 success, 1 runtime failure, 2 bad usage or bad configuration.",
  ].join("\n")

const isHelp = (a: string) => a === "--help" || a === "-h"

/** Finds the longest command name that prefixes `argv`. */
const select = (argv: ReadonlyArray<string>): CommandEntry | undefined =>
  [...commands]
    .sort((a, b) => b.name.length - a.name.length)
    .find((c) => c.name.every((word, i) => argv[i] === word))

/** Dispatches `argv` (without node and script) to a subcommand and answers the exit code. */
export const runCli = (argv: ReadonlyArray<string>): Effect.Effect<Code> =>
  Effect.gen(function* () {
    if (argv.length === 0 || isHelp(argv[0]!)) {
      yield* Effect.sync(() => console.log(topUsage()))
      return argv.length === 0 ? ExitCode.usage : ExitCode.ok
    }
    const entry = select(argv)
    if (entry === undefined) {
      yield* Effect.sync(() =>
        console.error(`stormbot: unknown command "${argv.join(" ")}"\n\n${topUsage()}`),
      )
      return ExitCode.usage
    }
    const command = yield* Effect.promise(entry.load)
    const rest = argv.slice(entry.name.length)
    if (rest.some(isHelp)) {
      yield* Effect.sync(() => console.log(command.usage))
      return ExitCode.ok
    }
    return yield* command.run(rest).pipe(
      Effect.catchTag("UsageError", (e) =>
        Effect.sync(() => {
          console.error(`stormbot ${command.name.join(" ")}: ${e.message}\n\n${command.usage}`)
          return ExitCode.usage
        }),
      ),
    )
  })
