import { type LeafParser, parseHttpUrl, parseInteger, parseText } from "./configLeaves.ts"
import type { Candidate, DecodeContext } from "./DecodeContext.ts"

/**
 * The environment layer: the st2chatops.env variables stormbot honours with their st2chatops
 * meaning (docs/configuration.md, "Coming from st2chatops"), and Vault's two. Each supplies one
 * value the file leaves unset (the file wins, value by value); set but empty counts as unset; a
 * bad value is a problem at the key it stands for, naming the variable.
 */
export const ENV_VALUES = {
  ST2_API_URL: { path: "stackstorm.api_url", parse: parseHttpUrl },
  ST2_AUTH_URL: { path: "stackstorm.auth_url", parse: parseHttpUrl },
  ST2_STREAM_URL: { path: "stackstorm.stream_url", parse: parseHttpUrl },
  ST2_WEBUI_URL: { path: "stackstorm.webui_url", parse: parseHttpUrl },
  ST2_ROUTE: { path: "stackstorm.route_key", parse: parseText() },
  ST2_COMMANDS_RELOAD_INTERVAL: { path: "stackstorm.timer_update", parse: parseInteger(1) },
  ST2_AUTH_USERNAME: { path: "stackstorm.api_auth.user.name", parse: parseText() },
  VAULT_ADDR: { path: "stackstorm.secrets_store.vault.url", parse: parseHttpUrl },
} as const satisfies Readonly<Record<string, { readonly path: string; readonly parse: LeafParser<unknown> }>>

/** Secrets from the environment, and the key each stands for. */
export const ENV_SECRETS = {
  ST2_API_KEY: "stackstorm.api_auth.key",
  ST2_AUTH_TOKEN: "stackstorm.api_auth.token",
  ST2_AUTH_PASSWORD: "stackstorm.api_auth.user.password",
  VAULT_TOKEN: "stackstorm.secrets_store.vault.token",
} as const

type EnvValue = keyof typeof ENV_VALUES
type ValueOf<V extends EnvValue> = (typeof ENV_VALUES)[V]["parse"] extends LeafParser<infer A> ? A : never

/** A variable's value, parsed by the rules of the key it stands for (a bad one is a problem there). */
export const envValue = <V extends EnvValue>(ctx: DecodeContext, variable: V): ValueOf<V> | undefined =>
  ctx.envValue(variable, ENV_VALUES[variable].path, ENV_VALUES[variable].parse as LeafParser<ValueOf<V>>)

/** `envValue` as a candidate for `ctx.pick`, its source the variable. */
export const fromEnvValue = <V extends EnvValue>(ctx: DecodeContext, variable: V): Candidate<ValueOf<V>> => [
  envValue(ctx, variable),
  ctx.fromEnv(variable),
]

/** st2chatops `ST2_API_URL` / `ST2_STREAM_URL` are bases; the version goes after (as st2client.js does). */
export const withV1 = (url: string): string => (/\/v1$/.test(url) ? url : `${url}/v1`)

/** A secret from the environment (unset or empty: absent), its source the variable. */
export const envSecret = (ctx: DecodeContext, variable: keyof typeof ENV_SECRETS) => ctx.envSecret(variable)
