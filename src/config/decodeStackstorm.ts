import { Redacted } from "effect"
import type { ConfigFile } from "./ConfigFileSchema.ts"
import type { DecodeContext } from "./DecodeContext.ts"
import { decodeApiAuth } from "./decodeApiAuth.ts"
import { decodeRbacAuth } from "./decodeRbacAuth.ts"
import { decodeSecretsStore } from "./decodeSecretsStore.ts"
import { envValue, fromEnvValue, withV1 } from "./st2chatopsEnv.ts"
import type { StormbotConfig } from "./StormbotConfig.ts"

/** err-stackstorm's defaults (docs/configuration.md). */
export const STACKSTORM_DEFAULTS = {
  authUrl: "http://localhost:9100/v1",
  apiUrl: "http://localhost:9101/v1",
  streamUrl: "http://localhost:9102/v1",
  verifyCert: true,
  routeKey: "errbot",
  pluginPrefix: "st2",
  botPrefix: "!",
  timerUpdateSeconds: 60,
  sessionTtlSeconds: 3600,
  userTokenTtlSeconds: 86400,
  requestTimeoutSeconds: 10,
} as const

type StackstormFile = NonNullable<ConfigFile["stackstorm"]>

/**
 * `stackstorm`: where StackStorm is (the file, else the st2chatops variables, else the defaults;
 * `url` stands for the three URLs), its TLS, the chat-facing settings, then `api_auth`,
 * `rbac_auth` and `secrets_store`. `requireCredential`: no credential at all is a problem.
 */
export const decodeStackstorm = (
  ctx: DecodeContext,
  s: StackstormFile,
  requireCredential: boolean,
): StormbotConfig["stackstorm"] => {
  const D = STACKSTORM_DEFAULTS
  const envApi = envValue(ctx, "ST2_API_URL")
  const envAuth = envValue(ctx, "ST2_AUTH_URL")
  const envStream = envValue(ctx, "ST2_STREAM_URL")
  const base = s.url
  const authUrl = ctx.pick(
    "stackstorm.auth_url",
    [
      [s.auth_url, ctx.fromFile("stackstorm.auth_url")],
      [base && `${base}/auth/v1`, ctx.fromFile("stackstorm.url")],
      // hubot-stackstorm posts to `${ST2_AUTH_URL}/tokens`; st2auth serves it with or without /v1.
      [envAuth, ctx.fromEnv("ST2_AUTH_URL")],
    ],
    D.authUrl,
  )
  const apiUrl = ctx.pick(
    "stackstorm.api_url",
    [
      [s.api_url, ctx.fromFile("stackstorm.api_url")],
      [base && `${base}/api/v1`, ctx.fromFile("stackstorm.url")],
      [envApi && withV1(envApi), ctx.fromEnv("ST2_API_URL")],
    ],
    D.apiUrl,
  )
  const streamUrl = ctx.pick(
    "stackstorm.stream_url",
    [
      [s.stream_url, ctx.fromFile("stackstorm.stream_url")],
      [base && `${base}/stream/v1`, ctx.fromFile("stackstorm.url")],
      [envStream && withV1(envStream), ctx.fromEnv("ST2_STREAM_URL")],
      // hubot-stackstorm (st2client.js) looks for the stream under the API's base when no stream URL is given.
      [envApi && withV1(envApi), ctx.fromEnv("ST2_API_URL")],
    ],
    D.streamUrl,
  )
  if (ctx.sources.get("stackstorm.stream_url")?._tag === "env" && envStream === undefined) {
    ctx.warnings.push({
      path: "stackstorm.stream_url",
      message: `derived from ST2_API_URL as hubot-stackstorm does: ${streamUrl}/stream`,
      hint: "behind the stock nginx the stream is at https://HOST/stream: set ST2_STREAM_URL or stackstorm.stream_url",
    })
  }
  for (const [name, url, dflt] of [
    ["auth_url", authUrl, D.authUrl],
    ["stream_url", streamUrl, D.streamUrl],
  ] as const) {
    if (url === dflt && apiUrl !== D.apiUrl) {
      ctx.warnings.push({
        path: `stackstorm.${name}`,
        message: `is the default ${dflt} although api_url is ${apiUrl}`,
        hint: `set stackstorm.${name}, or stackstorm.url for all three`,
      })
    }
  }

  const verifyCert = ctx.pick(
    "stackstorm.verify_cert",
    [[s.verify_cert, ctx.fromFile("stackstorm.verify_cert")]],
    D.verifyCert,
  )
  const pem = (key: "ca_cert" | "client_cert" | "client_key") => {
    const r = ctx.pem(`stackstorm.${key}`, s[key])
    if (r) ctx.sources.set(`stackstorm.${key}`, ctx.fromFile(`stackstorm.${key}`, r.resolved))
    return r
  }
  const caCert = pem("ca_cert")
  const clientCert = pem("client_cert")
  const clientKey = pem("client_key")
  if ((s.client_cert === undefined) !== (s.client_key === undefined)) {
    const missing = s.client_cert === undefined ? "client_cert" : "client_key"
    ctx.problem(
      `stackstorm.${missing}`,
      "is required with the other half of the client certificate",
      "set both client_cert and client_key, or neither",
    )
  }
  const webuiUrl = ctx.pickOptional("stackstorm.webui_url", [
    [s.webui_url, ctx.fromFile("stackstorm.webui_url")],
    fromEnvValue(ctx, "ST2_WEBUI_URL"),
  ])
  const routeKey = ctx.pick(
    "stackstorm.route_key",
    [[s.route_key, ctx.fromFile("stackstorm.route_key")], fromEnvValue(ctx, "ST2_ROUTE")],
    D.routeKey,
  )
  if (/\s/.test(routeKey)) {
    ctx.problem(
      "stackstorm.route_key",
      "must not contain spaces",
      "it becomes part of the event name st2.announcement__<route_key>",
    )
  }
  const fileOnly = <A>(key: keyof StackstormFile, value: A | undefined, dflt: A): A =>
    ctx.pick(`stackstorm.${key}`, [[value, ctx.fromFile(`stackstorm.${key}`)]], dflt)
  const pluginPrefix = fileOnly("plugin_prefix", s.plugin_prefix, D.pluginPrefix)
  const botPrefix = fileOnly("bot_prefix", s.bot_prefix, D.botPrefix)
  const timerUpdateSeconds = ctx.pick(
    "stackstorm.timer_update",
    [
      [s.timer_update, ctx.fromFile("stackstorm.timer_update")],
      fromEnvValue(ctx, "ST2_COMMANDS_RELOAD_INTERVAL"),
    ],
    D.timerUpdateSeconds,
  )
  const sessionTtlSeconds = fileOnly("session_ttl", s.session_ttl, D.sessionTtlSeconds)
  const userTokenTtlSeconds = fileOnly("user_token_ttl", s.user_token_ttl, D.userTokenTtlSeconds)
  const requestTimeoutSeconds = fileOnly("request_timeout", s.request_timeout, D.requestTimeoutSeconds)

  const apiAuth = decodeApiAuth(ctx, s.api_auth ?? {}, requireCredential)
  const rbacAuth = decodeRbacAuth(ctx, s.rbac_auth ?? {})
  const secretsStore = decodeSecretsStore(ctx, s.secrets_store ?? {})
  return {
    authUrl,
    apiUrl,
    streamUrl,
    verifyCert,
    caCert: caCert?.text,
    clientCert: clientCert?.text,
    clientKey: clientKey && Redacted.make(clientKey.text),
    webuiUrl,
    routeKey,
    pluginPrefix,
    botPrefix,
    timerUpdateSeconds,
    sessionTtlSeconds,
    userTokenTtlSeconds,
    requestTimeoutMs: Math.round(requestTimeoutSeconds * 1000),
    apiAuth,
    rbacAuth,
    secretsStore,
  }
}
