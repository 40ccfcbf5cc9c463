import { Redacted } from "effect"
import { type ConfigFile, SECRETS_STORES } from "./ConfigFileSchema.ts"
import type { DecodeContext } from "./DecodeContext.ts"
import { envSecret, fromEnvValue } from "./st2chatopsEnv.ts"
import type { SecretsStoreConfig } from "./StormbotConfig.ts"

type SecretsStoreFile = NonNullable<NonNullable<ConfigFile["stackstorm"]>["secrets_store"]>

export const SECRETS_STORE_DEFAULTS = {
  keyringService: "stormbot",
  vaultMount: "secret",
  vaultPath: "stormbot",
}

/**
 * `stackstorm.secrets_store`: exactly one store, `cleartext` by default (the string forms are
 * already mappings, `normaliseEmpty`). Vault needs its address and token, from the file or
 * `VAULT_ADDR` / `VAULT_TOKEN`.
 */
export const decodeSecretsStore = (ctx: DecodeContext, ss: SecretsStoreFile): SecretsStoreConfig => {
  const kinds = SECRETS_STORES.filter((k) => ss[k] !== undefined)
  if (kinds.length > 1) {
    ctx.problem(
      "stackstorm.secrets_store",
      `sets ${kinds.length} stores (${kinds.join(", ")}); exactly one is allowed`,
      "keep one",
    )
  }
  const kind = kinds[0] ?? "cleartext"
  ctx.sources.set(
    "stackstorm.secrets_store",
    kinds.length > 0 ? ctx.fromFile("stackstorm.secrets_store") : { _tag: "default" },
  )
  if (kind === "cleartext") return { _tag: "cleartext" }
  if (kind === "keyring") {
    const service = ctx.pick(
      "stackstorm.secrets_store.keyring.service",
      [[ss.keyring?.service, ctx.fromFile("stackstorm.secrets_store.keyring.service")]],
      SECRETS_STORE_DEFAULTS.keyringService,
    )
    return { _tag: "keyring", service }
  }
  const v = ss.vault ?? {}
  const at = "stackstorm.secrets_store.vault"
  const url = ctx.pickOptional(`${at}.url`, [
    [v.url, ctx.fromFile(`${at}.url`)],
    fromEnvValue(ctx, "VAULT_ADDR"),
  ])
  if (url === undefined && !ctx.hasProblemAt(`${at}.url`)) {
    ctx.problem(
      `${at}.url`,
      "is required for the vault store",
      "the Vault address, e.g. https://vault.example.com:8200, or set VAULT_ADDR",
    )
  }
  const token =
    ctx.secret(at, [
      ["token", v.token],
      ["token_file", v.token_file],
    ]) ?? envSecret(ctx, "VAULT_TOKEN")
  if (token) ctx.sources.set(`${at}.token`, token[1])
  else if (!ctx.hasProblemAt(`${at}.token`)) {
    ctx.problem(`${at}.token`, "is required for the vault store", "set token, token_file, or VAULT_TOKEN")
  }
  const mount = ctx.pick(
    `${at}.mount`,
    [[v.mount, ctx.fromFile(`${at}.mount`)]],
    SECRETS_STORE_DEFAULTS.vaultMount,
  )
  const path = ctx.pick(
    `${at}.path`,
    [[v.path, ctx.fromFile(`${at}.path`)]],
    SECRETS_STORE_DEFAULTS.vaultPath,
  )
  const namespace = ctx.pickOptional(`${at}.namespace`, [[v.namespace, ctx.fromFile(`${at}.namespace`)]])
  return {
    _tag: "vault",
    url: url ?? "",
    token: token?.[0] ?? Redacted.make(""),
    mount,
    path,
    ...(namespace === undefined ? {} : { namespace }),
  }
}
