import { existsSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { Effect, Either } from "effect"
import { LineCounter, parseDocument } from "yaml"
import { ConfigError } from "./ConfigError.ts"
import { decodeConfig } from "./decodeConfig.ts"
import { type FileReader, nodeFileReader } from "./FileReader.ts"
import type { Env } from "./interpolateEnv.ts"
import type { LoadedConfig } from "./LoadedConfig.ts"

export type { LoadedConfig, ValueSource } from "./LoadedConfig.ts"

/** The file read when neither `--config` nor `STORMBOT_CONFIG` names one, if it exists. */
export const DEFAULT_CONFIG_FILE = "stormbot.yaml"

export interface LoadConfigOptions {
  /** `--config`; wins over `STORMBOT_CONFIG`. */
  readonly path?: string | undefined
  /** Default `process.env`. */
  readonly env?: Env | undefined
  /** Where `./stormbot.yaml` is looked for. Default `process.cwd()`. */
  readonly cwd?: string | undefined
  readonly readFile?: FileReader | undefined
  readonly requireCredential?: boolean | undefined
}

/**
 * Which configuration file applies: `path`, else `STORMBOT_CONFIG`, else `./stormbot.yaml` if it
 * exists, else none (then the environment and defaults alone make the configuration).
 */
export const configFilePath = (options: LoadConfigOptions): string | undefined => {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const named = options.path ?? (env.STORMBOT_CONFIG === "" ? undefined : env.STORMBOT_CONFIG)
  if (named !== undefined) return resolve(cwd, named)
  const fallback = resolve(cwd, DEFAULT_CONFIG_FILE)
  return existsSync(fallback) ? fallback : undefined
}

/** Parses YAML text; syntax errors become problems with their line and column. */
export const parseConfigYaml = (text: string, source: string): Either.Either<unknown, ConfigError> => {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter })
  if (doc.errors.length > 0) {
    return Either.left(
      new ConfigError({
        source,
        problems: doc.errors.map((e) => {
          const pos = lineCounter.linePos(e.pos[0])
          return {
            path: `line ${pos.line}, column ${pos.col}`,
            // The first line of yaml's message names the error; the rest quotes the source (maybe a secret).
            message: `YAML syntax error: ${e.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "")}`,
            hint: "check indentation and quoting around this place",
          }
        }),
      }),
    )
  }
  return Either.right(doc.toJS())
}

/**
 * Loads the configuration for `start` and `config check`: finds and parses the file, then
 * `decodeConfig` with the environment. Fails with a `ConfigError` listing every problem; its
 * `source` is the file, or "environment" when there is none.
 */
export const loadConfig = (options: LoadConfigOptions = {}): Effect.Effect<LoadedConfig, ConfigError> =>
  Effect.suspend(() => {
    const env = options.env ?? process.env
    const readFile = options.readFile ?? nodeFileReader
    const file = configFilePath(options)
    let raw: unknown = {}
    if (file !== undefined) {
      const r = readFile(file)
      if (!r.ok) {
        return Effect.fail(
          new ConfigError({
            source: file,
            problems: [
              {
                path: "(file)",
                message: `cannot read the configuration file: ${r.reason}`,
                hint: "pass an existing file with --config or STORMBOT_CONFIG",
              },
            ],
          }),
        )
      }
      const parsed = parseConfigYaml(r.text, file)
      if (Either.isLeft(parsed)) return Effect.fail(parsed.left)
      raw = parsed.right
    }
    return decodeConfig(raw, {
      env,
      source: file ?? "environment",
      baseDir: file === undefined ? (options.cwd ?? process.cwd()) : dirname(file),
      readFile,
      ...(options.requireCredential === undefined ? {} : { requireCredential: options.requireCredential }),
    }).pipe(
      Either.map((loaded): LoadedConfig => (file === undefined ? { ...loaded, file: undefined } : loaded)),
    )
  })
