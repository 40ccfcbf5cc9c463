import { Effect, Either } from "effect"
import { makeTextAdapter } from "../adapters/text/TextAdapter.ts"
import { serveBot } from "../app/serveBot.ts"
import { decodeConfig } from "../config/decodeConfig.ts"
import { formatConfigError } from "../config/formatConfigError.ts"
import { insecureTlsFindings, TLS_ENV_VARIABLE } from "../config/insecureTls.ts"
import { type LogLevelName, loggingLayer } from "../log/loggingLayer.ts"
import { DEFAULT_USER, sandboxResource } from "../sandbox/Sandbox.ts"
import { type CliCommand, ExitCode, wsUrlFlag, intFlag, parseFlags, UsageError } from "./CliCommand.ts"

const levels = ["trace", "debug", "info", "warning", "error"] as const

const usage = `Usage: stormbot demo [--inspect] [--inspect-ws URL] [--log-level LEVEL] [--result-delay MS]

The embedded default: starts the bundled StackStorm sandbox (NOT StackStorm: a test server with
harmless built-in actions) on a free loopback port, and a bot wired to it with the terminal chat.
Type commands at the prompt:

  !st2help                       list the commands
  !st2 run date on localhost     run one; the ack comes at once, the result when it finishes

Chat goes to stdout, logs to stderr. With stdin piped, every line is processed, outstanding
results are awaited (bounded), and the demo exits 0.

Flags:
      --inspect          log every state transition of every actor
      --inspect-ws URL   stream every actor's inspection events to a Stately inspector (ws://...)
      --log-level LEVEL  trace|debug|info|warning|error (default warning)
      --result-delay MS  how long the sandbox's actions take (default 500)
  -h, --help             this text`

/** `stormbot demo`: the bot in this terminal against the bundled sandbox. */
export const demoCommand: CliCommand = {
  name: ["demo"],
  summary: "Run the bot in this terminal against the bundled StackStorm sandbox",
  usage,
  run: (args) =>
    Effect.gen(function* () {
      const { values } = yield* parseFlags(args, {
        inspect: { type: "boolean" },
        "inspect-ws": { type: "string" },
        "log-level": { type: "string" },
        "result-delay": { type: "string" },
      })
      const inspectUrl = yield* wsUrlFlag(values["inspect-ws"])
      const level = values["log-level"] ?? "warning"
      if (!(levels as ReadonlyArray<string>).includes(level)) {
        return yield* Effect.fail(
          new UsageError({ message: `--log-level must be one of ${levels.join(", ")}` }),
        )
      }
      const resultDelayMs = yield* intFlag("result-delay", values["result-delay"])
      // The demo takes no configuration, so it cannot opt in with insecure_tls_for_all.
      const { problem } = insecureTlsFindings({
        adapters: [{ type: "text", name: "text" }],
        optIn: false,
        env: process.env,
      })
      if (problem !== undefined) {
        console.error(
          `stormbot demo: ${problem.message}\n  hint: unset it for the demo (env -u ${TLS_ENV_VARIABLE} stormbot demo); the demo takes no configuration, so it cannot opt in with insecure_tls_for_all`,
        )
        return ExitCode.usage
      }
      const program = Effect.scoped(
        Effect.gen(function* () {
          const sandbox = yield* sandboxResource({
            port: 0,
            ...(resultDelayMs === undefined ? {} : { resultDelayMs }),
          })
          const decoded = decodeConfig({
            stackstorm: {
              url: sandbox.url,
              api_auth: { user: { name: DEFAULT_USER.name, password: DEFAULT_USER.password } },
            },
            log: { level },
          })
          if (Either.isLeft(decoded)) {
            console.error(formatConfigError(decoded.left))
            return ExitCode.failure
          }
          const adapter = makeTextAdapter()
          if (process.stdin.isTTY === true) {
            console.error(
              [
                `stormbot demo: the StackStorm sandbox (NOT StackStorm) runs at ${sandbox.url}`,
                "Type !st2help to list commands, !st2 run date on localhost to run one; Ctrl-D or Ctrl-C to quit.",
              ].join("\n"),
            )
          }
          yield* serveBot({
            config: decoded.right.config,
            adapters: [adapter],
            credential: {
              _tag: "Password",
              username: DEFAULT_USER.name,
              password: decoded.right.config.stackstorm.apiAuth.user!.password,
            },
            inspect: values.inspect === true,
            inspectUrl,
          })
          return ExitCode.ok
        }),
      )
      return yield* program.pipe(
        Effect.catchAll((e) =>
          Effect.logError(`demo stopped: ${e.message}`).pipe(Effect.as(ExitCode.failure)),
        ),
        Effect.provide(loggingLayer({ level: level as LogLevelName, format: "auto" })),
      )
    }),
}
