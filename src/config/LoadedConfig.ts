import type { ConfigProblem } from "./ConfigError.ts"
import type { StormbotConfig } from "./StormbotConfig.ts"

/**
 * Where one effective value came from.
 * - `file`: the configuration `path` (or `<inline>`), at YAML `key` (which may differ from the
 *   value's own path: `stackstorm.url` for the three URLs, `..._file` for a secret read from
 *   `readFrom`); `variables` are the `${VAR}` it interpolated.
 * - `env`: an st2chatops variable (or VAULT_ADDR / VAULT_TOKEN).
 * - `default`: nothing set it.
 */
export type ValueSource =
  | {
      readonly _tag: "file"
      readonly path: string
      readonly key: string
      readonly variables?: ReadonlyArray<string> | undefined
      readonly readFrom?: string | undefined
    }
  | { readonly _tag: "env"; readonly variable: string }
  | { readonly _tag: "default" }

export interface LoadedConfig {
  readonly config: StormbotConfig
  /** Dotted path in the file's vocabulary (`stackstorm.api_auth.user.password`) → source. */
  readonly sources: ReadonlyMap<string, ValueSource>
  /** The configuration file, when there was one. */
  readonly file?: string | undefined
  /** Things that work but are probably not what was meant (never secrets). */
  readonly warnings: ReadonlyArray<ConfigProblem>
}
