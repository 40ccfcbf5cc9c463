import type { Redacted } from "effect"
import type { St2Endpoints } from "../st2/St2Endpoints.ts"
import type { AdapterConfig } from "../adapters/adapterRegistry.ts"

export type { AdapterConfig } from "../adapters/adapterRegistry.ts"
export type { AdapterTlsConfig } from "../adapters/AdapterTls.ts"

export type LogLevel = "trace" | "debug" | "info" | "warning" | "error"
export type LogFormat = "auto" | "json" | "pretty"

/** How the bot authorises chat users' commands (err-stackstorm's `rbac_auth`). */
export type RbacAuthConfig =
  | { readonly _tag: "standalone" }
  | { readonly _tag: "serverside" }
  | { readonly _tag: "clientside"; readonly url: string }

/** Where per-user StackStorm credentials are cached (err-stackstorm's `secrets_store`). */
export type SecretsStoreConfig =
  | { readonly _tag: "cleartext" }
  | { readonly _tag: "keyring"; readonly service: string }
  | {
      readonly _tag: "vault"
      readonly url: string
      readonly token: Redacted.Redacted<string>
      readonly mount: string
      readonly path: string
      readonly namespace?: string | undefined
    }

/**
 * The bot's own StackStorm credentials, every one that was configured. Which one is used is the
 * credential actor's decision (err-stackstorm's order: key, then token, then user).
 */
export interface ApiAuthConfig {
  readonly key?: Redacted.Redacted<string> | undefined
  readonly token?: Redacted.Redacted<string> | undefined
  readonly user?: { readonly name: string; readonly password: Redacted.Redacted<string> } | undefined
}

/** The decoded, normalised configuration. Every default is applied; secrets are `Redacted`. */
export interface StormbotConfig {
  /**
   * `insecure_tls_for_all`: the operator accepts that `NODE_TLS_REJECT_UNAUTHORIZED=0` turns off
   * certificate checks of the chat adapters that do not set `tls` (`insecureTls.ts`).
   */
  readonly insecureTlsForAll: boolean
  readonly stackstorm: {
    /** No trailing slash, e.g. `https://st2/auth/v1`. */
    readonly authUrl: string
    readonly apiUrl: string
    readonly streamUrl: string
    readonly verifyCert: boolean
    /** PEM contents of `ca_cert`, read at load. */
    readonly caCert?: string | undefined
    /** PEM contents of `client_cert` / `client_key` (TLS client authentication), read at load. */
    readonly clientCert?: string | undefined
    readonly clientKey?: Redacted.Redacted<string> | undefined
    readonly webuiUrl?: string | undefined
    readonly routeKey: string
    readonly pluginPrefix: string
    readonly botPrefix: string
    readonly timerUpdateSeconds: number
    readonly sessionTtlSeconds: number
    readonly userTokenTtlSeconds: number
    readonly requestTimeoutMs: number
    readonly apiAuth: ApiAuthConfig
    readonly rbacAuth: RbacAuthConfig
    readonly secretsStore: SecretsStoreConfig
  }
  readonly adapters: ReadonlyArray<AdapterConfig>
  readonly web: {
    readonly enabled: boolean
    readonly host: string
    readonly port: number
    readonly webhookSecret?: Redacted.Redacted<string> | undefined
  }
  readonly limits: LimitsConfig
  readonly log: { readonly level: LogLevel; readonly format: LogFormat }
}

/** `limits`: bounds against hostile input and misbehaving servers (docs/security.md). */
export interface LimitsConfig {
  /** A chat command longer than this (UTF-16 units) is refused before matching. */
  readonly maxCommandLength: number
  /** Budget of one match that cannot run in linear time (evaluated off the event loop). */
  readonly matchTimeoutMs: number
  /** Largest StackStorm answer body read; a larger one fails with a tagged error. */
  readonly maxResponseBytes: number
  /** The stream is declared dead after this long without a byte (st2 sends a heartbeat every 25 s). */
  readonly streamSilenceMs: number
  /** Commands of one chat user running at once; 1 keeps them in the order typed. */
  readonly perUserConcurrency: number
  /** One announcement posts at most this many chat messages, then says how much was cut. */
  readonly maxResultParts: number
  /** Largest request body the web server reads (webhook and every route). */
  readonly maxRequestBytes: number
}

/** Where StackStorm is and how to reach it, for the st2 client. */
export const st2Endpoints = (c: StormbotConfig): St2Endpoints => ({
  authUrl: c.stackstorm.authUrl,
  apiUrl: c.stackstorm.apiUrl,
  streamUrl: c.stackstorm.streamUrl,
  verifyCert: c.stackstorm.verifyCert,
  caCert: c.stackstorm.caCert,
  clientCert: c.stackstorm.clientCert,
  clientKey: c.stackstorm.clientKey,
  requestTimeoutMs: c.stackstorm.requestTimeoutMs,
})
