import { Effect, Either } from "effect"
import { makeAdapters } from "../adapters/makeAdapters.ts"
import { serveBot } from "../app/serveBot.ts"
import { formatConfigError, formatConfigWarnings } from "../config/formatConfigError.ts"
import { DEFAULT_CONFIG_FILE, loadConfig } from "../config/loadConfig.ts"
import { type LogLevelName, loggingLayer } from "../log/loggingLayer.ts"
import { chooseCredentialSource } from "../st2/CredentialSource.ts"
import { type CliCommand, ExitCode, wsUrlFlag, parseFlags, UsageError } from "./CliCommand.ts"

const levels = ["trace", "debug", "info", "warning", "error"] as const

const usage = `Usage: stormbot start [--config FILE] [--inspect] [--inspect-ws URL] [--log-level LEVEL]

Runs the bot against the StackStorm and chat backends of the configuration.

Flags:
  -c, --config FILE     the configuration file (default: $STORMBOT_CONFIG, else ./${DEFAULT_CONFIG_FILE})
      --inspect         log every state transition of every actor (actor, from, event, to)
      --inspect-ws URL  stream every actor's inspection events to a Stately inspector (ws:// or wss://)
      --log-level LEVEL trace|debug|info|warning|error (overrides log.level)
  -h, --help            this text

Stops on SIGINT/SIGTERM: stops taking commands, lets in-flight ones finish (bounded), closes the
stream and servers, exits 0. With the terminal adapter and piped stdin, it exits after the last
line once the outstanding results arrived (bounded).
Exit codes: 0 stopped cleanly; 1 runtime failure; 2 bad usage or bad configuration.`

/** `stormbot start`: the bot against a real StackStorm. */
export const startCommand: CliCommand = {
  name: ["start"],
  summary: "Run the bot against a StackStorm (stormbot.yaml)",
  usage,
  run: (args) =>
    Effect.gen(function* () {
      const { values } = yield* parseFlags(args, {
        config: { type: "string", short: "c" },
        inspect: { type: "boolean" },
        "inspect-ws": { type: "string" },
        "log-level": { type: "string" },
      })
      const inspectUrl = yield* wsUrlFlag(values["inspect-ws"])
      const level = values["log-level"]
      if (level !== undefined && !(levels as ReadonlyArray<string>).includes(level)) {
        return yield* Effect.fail(
          new UsageError({ message: `--log-level must be one of ${levels.join(", ")}` }),
        )
      }
      const loaded = yield* Effect.either(loadConfig({ path: values.config }))
      if (Either.isLeft(loaded)) {
        console.error(formatConfigError(loaded.left))
        return ExitCode.usage
      }
      const { config, warnings } = loaded.right
      const warningText = formatConfigWarnings(warnings)
      if (warningText !== "") console.error(warningText)
      const auth = config.stackstorm.apiAuth
      const credential = chooseCredentialSource({
        apiKey: auth.key,
        token: auth.token,
        username: auth.user?.name,
        password: auth.user?.password,
      })
      if (Either.isLeft(credential)) {
        console.error(`stormbot: ${credential.left.message}`)
        return ExitCode.usage
      }
      const adapters = yield* Effect.promise(() => makeAdapters(config.adapters))
      return yield* serveBot({
        config,
        adapters,
        credential: credential.right,
        inspect: values.inspect === true,
        inspectUrl,
      }).pipe(
        Effect.as(ExitCode.ok),
        Effect.catchAll((e) =>
          Effect.logError(`stormbot stopped: ${e.message}`).pipe(Effect.as(ExitCode.failure)),
        ),
        Effect.provide(
          loggingLayer({
            level: (level as LogLevelName | undefined) ?? config.log.level,
            format: config.log.format,
          }),
        ),
      )
    }),
}
