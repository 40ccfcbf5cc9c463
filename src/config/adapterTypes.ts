import { type Redacted, Schema } from "effect"
import { Bool, FilePath, HttpUrl, integer, oneOf, SecretText, Text } from "./configLeaves.ts"

const opt = <S extends Schema.Schema.Any>(s: S) => Schema.optionalWith(s, { exact: true })

/**
 * `tls` of a network adapter: how its SDK's connections check the platform's certificate. Every
 * network adapter takes it and passes it explicitly to each connection its SDK opens, so
 * `NODE_TLS_REJECT_UNAUTHORIZED` never decides for them (docs/adapters.md).
 */
const TlsSection = Schema.Struct({ ca_file: opt(FilePath), verify: opt(Bool) })

/**
 * Chat adapters the configuration knows. To add one: add its entry schema here (with `type` and
 * the optional `name`; a network adapter also takes `tls: TlsSection`), its secret keys to
 * `adapterSecrets`, its decoded form to `AdapterConfig`, its decoding in `decodeConfig`, and its
 * connections to `tlsConnectionsOf` (`insecureTls.ts`); unknown types are rejected with this list.
 */
export const adapterSchemas = {
  /** The terminal chat: reads stdin, writes stdout. No settings. */
  text: Schema.Struct({ type: Text, name: opt(Text) }),
  /** Slack through Bolt: Socket Mode (bot + app-level token) or the HTTP Events API (signing secret). */
  slack: Schema.Struct({
    type: Text,
    name: opt(Text),
    mode: opt(oneOf(["socket", "http"])),
    bot_token: opt(SecretText),
    bot_token_file: opt(FilePath),
    app_token: opt(SecretText),
    app_token_file: opt(FilePath),
    signing_secret: opt(SecretText),
    signing_secret_file: opt(FilePath),
    api_url: opt(HttpUrl),
    http_host: opt(Text),
    http_port: opt(integer(0, 65535)),
    http_path: opt(Text),
    tls: opt(TlsSection),
  }),
  /** Discord through discord.js: a bot token; the REST base is configurable. */
  discord: Schema.Struct({
    type: Text,
    name: opt(Text),
    token: opt(SecretText),
    token_file: opt(FilePath),
    api_url: opt(HttpUrl),
    tls: opt(TlsSection),
  }),
} as const

export type AdapterType = keyof typeof adapterSchemas
export const ADAPTER_TYPES = Object.keys(adapterSchemas) as ReadonlyArray<AdapterType>

export const ADAPTER_DEFAULTS = {
  slackApiUrl: "https://slack.com/api",
  slackHttpHost: "127.0.0.1",
  slackHttpPort: 3000,
  slackHttpPath: "/slack/events",
  discordApiUrl: "https://discord.com/api",
} as const

/** A network adapter's decoded `tls`: what its SDK's connections are given, explicitly. */
export interface AdapterTlsConfig {
  /** Check the platform's certificate (`rejectUnauthorized`). */
  readonly verify: boolean
  /** PEM contents of `tls.ca_file`, read at load: the CAs trusted instead of Node's roots. */
  readonly ca?: string | undefined
  /**
   * Whether the file set `tls.verify` or `tls.ca_file`. An adapter that did not is the one
   * `NODE_TLS_REJECT_UNAUTHORIZED=0` with `insecure_tls_for_all: true` turns to `verify: false`.
   */
  readonly explicit: boolean
}

/** A configured chat adapter; `name` is unique and defaults to the type. Secrets are `Redacted`. */
export type AdapterConfig =
  | { readonly type: "text"; readonly name: string }
  | {
      readonly type: "slack"
      readonly name: string
      readonly mode: "socket" | "http"
      readonly botToken: Redacted.Redacted<string>
      /** Socket Mode's app-level token (`xapp-...`). */
      readonly appToken?: Redacted.Redacted<string> | undefined
      /** The HTTP Events API's signing secret. */
      readonly signingSecret?: Redacted.Redacted<string> | undefined
      /** The Web API base (GovSlack and proxies use other hosts), without trailing slash. */
      readonly apiUrl: string
      /** Where the HTTP Events API receiver listens (mode `http`). */
      readonly http: { readonly host: string; readonly port: number; readonly path: string }
      /** The Web API's and the Socket Mode WebSocket's TLS (the Events API listener is a server). */
      readonly tls: AdapterTlsConfig
    }
  | {
      readonly type: "discord"
      readonly name: string
      readonly token: Redacted.Redacted<string>
      /** The REST base, without trailing slash (the gateway URL comes from `GET /gateway/bot`). */
      readonly apiUrl: string
      /** REST's and the gateway WebSocket's TLS. */
      readonly tls: AdapterTlsConfig
    }
