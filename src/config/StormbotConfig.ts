import type { Redacted } from "effect"
import type { St2Endpoints } from "../st2/St2Endpoints.ts"
import type { AdapterConfig } from "./adapterTypes.ts"

export type { AdapterConfig } from "./adapterTypes.ts"

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
  readonly log: { readonly level: LogLevel; readonly format: LogFormat }
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
