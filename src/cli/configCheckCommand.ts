import { Effect } from "effect"
import { formatConfigError, formatConfigWarnings } from "../config/formatConfigError.ts"
import { DEFAULT_CONFIG_FILE, loadConfig } from "../config/loadConfig.ts"
import { renderEffectiveConfig } from "../config/renderEffectiveConfig.ts"
import { type CliCommand, ExitCode, parseFlags } from "./CliCommand.ts"

const usage = `Usage: stormbot config check [--config FILE]

Validates the configuration and prints the effective values, secrets redacted, each followed by
its source: the file (and the \${VAR}s or *_file it used), an st2chatops variable (env ST2_...),
or the default.

Flags:
  -c, --config FILE   the configuration file (default: $STORMBOT_CONFIG, else ./${DEFAULT_CONFIG_FILE}
                      if it exists, else none: the ST2_* variables and defaults alone)
  -h, --help          this text

Exit codes: 0 valid; 2 invalid (every problem is listed on stderr, with its path and a hint)
or bad usage. Reference: docs/configuration.md`

/** `stormbot config check`: validate and show the effective configuration with sources. */
export const configCheckCommand: CliCommand = {
  name: ["config", "check"],
  summary: "Validate a configuration and print the effective values with their sources",
  usage,
  run: (args) =>
    Effect.gen(function* () {
      const { values } = yield* parseFlags(args, { config: { type: "string", short: "c" } })
      return yield* loadConfig({ path: values.config }).pipe(
        Effect.map((loaded) => {
          console.log(renderEffectiveConfig(loaded))
          const warnings = formatConfigWarnings(loaded.warnings)
          if (warnings !== "") console.error(warnings)
          return ExitCode.ok
        }),
        Effect.catchTag("ConfigError", (e) =>
          Effect.sync(() => {
            console.error(formatConfigError(e))
            return ExitCode.usage
          }),
        ),
      )
    }),
}
