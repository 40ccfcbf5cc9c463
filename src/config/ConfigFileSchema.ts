import { Schema } from "effect"
import {
  Bool,
  EmptyMapping,
  FilePath,
  HttpUrl,
  integer,
  oneOf,
  SecretText,
  seconds,
  Text,
  TextOrEmpty,
} from "./configLeaves.ts"

/**
 * The shape of `stormbot.yaml` as written (snake_case, every key optional). Cross-field rules
 * (one credential at least, one rbac method, secrets required when...) and defaults live in
 * `decodeConfig`; this schema only says which keys exist and what each may hold.
 */

const opt = <S extends Schema.Schema.All>(s: S) => Schema.optionalWith(s, { exact: true })

export const LOG_LEVELS = ["trace", "debug", "info", "warning", "error"] as const
export const LOG_FORMATS = ["auto", "json", "pretty"] as const
export const SECRETS_STORES = ["cleartext", "keyring", "vault"] as const
export const RBAC_METHODS = ["standalone", "serverside", "clientside"] as const

export const ApiAuthUserSection = Schema.Struct({
  name: opt(Text),
  password: opt(SecretText),
  password_file: opt(FilePath),
})

export const ApiAuthSection = Schema.Struct({
  user: opt(ApiAuthUserSection),
  token: opt(SecretText),
  token_file: opt(FilePath),
  key: opt(SecretText),
  key_file: opt(FilePath),
  /** err-stackstorm's spelling of `key`. */
  apikey: opt(SecretText),
  apikey_file: opt(FilePath),
})

export const RbacAuthSection = Schema.Struct({
  standalone: opt(EmptyMapping),
  serverside: opt(EmptyMapping),
  clientside: opt(Schema.Struct({ url: opt(HttpUrl) })),
})

/** The mapping form; the string forms (`cleartext`...) are turned into it before decoding. */
export const SecretsStoreSection = Schema.Struct({
  cleartext: opt(EmptyMapping),
  keyring: opt(Schema.Struct({ service: opt(Text) })),
  vault: opt(
    Schema.Struct({
      url: opt(HttpUrl),
      token: opt(SecretText),
      token_file: opt(FilePath),
      mount: opt(Text),
      path: opt(Text),
      namespace: opt(Text),
    }),
  ),
})

export const StackstormSection = Schema.Struct({
  url: opt(HttpUrl),
  auth_url: opt(HttpUrl),
  api_url: opt(HttpUrl),
  stream_url: opt(HttpUrl),
  verify_cert: opt(Bool),
  ca_cert: opt(FilePath),
  client_cert: opt(FilePath),
  client_key: opt(FilePath),
  webui_url: opt(HttpUrl),
  route_key: opt(Text),
  plugin_prefix: opt(TextOrEmpty),
  bot_prefix: opt(Text),
  timer_update: opt(integer(1)),
  session_ttl: opt(integer(1)),
  user_token_ttl: opt(integer(1)),
  request_timeout: opt(seconds(600)),
  api_auth: opt(ApiAuthSection),
  rbac_auth: opt(RbacAuthSection),
  secrets_store: opt(SecretsStoreSection),
})

export const WebSection = Schema.Struct({
  enabled: opt(Bool),
  host: opt(Text),
  port: opt(integer(0, 65535)),
  webhook_secret: opt(SecretText),
  webhook_secret_file: opt(FilePath),
})

/** Bounds that keep one chat user, or a misbehaving StackStorm, from freezing or bloating the bot. */
export const LimitsSection = Schema.Struct({
  max_command_length: opt(integer(16, 1_048_576)),
  match_timeout: opt(seconds(60)),
  max_response_bytes: opt(integer(65_536)),
  stream_silence: opt(seconds(600)),
  per_user_concurrency: opt(integer(1, 64)),
  max_result_parts: opt(integer(1, 1000)),
  max_request_bytes: opt(integer(1024)),
})

export const LogSection = Schema.Struct({
  level: opt(oneOf(LOG_LEVELS)),
  format: opt(oneOf(LOG_FORMATS)),
})

export const ConfigFileSchema = Schema.Struct({
  /** Let `NODE_TLS_REJECT_UNAUTHORIZED=0` weaken the chat adapters' TLS instead of refusing to start. */
  insecure_tls_for_all: opt(Bool),
  stackstorm: opt(StackstormSection),
  /** Each entry is decoded by its type's registry entry (`adapters/adapterRegistry.ts`), so unknown types list the known. */
  adapters: opt(Schema.Array(Schema.Unknown)),
  web: opt(WebSection),
  limits: opt(LimitsSection),
  log: opt(LogSection),
})
export type ConfigFile = typeof ConfigFileSchema.Type

/** Keys that err-stackstorm had and stormbot replaced; their hint says what to write instead. */
export const RETIRED_KEYS: Readonly<Record<string, string>> = {
  "stackstorm.oob_auth_url":
    "err-stackstorm's oob_auth_url is replaced by rbac_auth: { clientside: { url: ... } }",
}
