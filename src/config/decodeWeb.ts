import { Redacted } from "effect"
import type { ConfigFile } from "./ConfigFileSchema.ts"
import type { DecodeContext } from "./DecodeContext.ts"
import type { StormbotConfig } from "./StormbotConfig.ts"

export const WEB_DEFAULTS = { host: "127.0.0.1", port: 8080, webhookSecretMinLength: 16 } as const

/**
 * `web`: the bot's HTTP server, off unless `enabled` (a section without it gives a warning).
 * Enabled, it needs a webhook secret of at least 16 characters (inline or `webhook_secret_file`).
 */
export const decodeWeb = (ctx: DecodeContext, w: ConfigFile["web"]): StormbotConfig["web"] => {
  const enabled = ctx.pick("web.enabled", [[w?.enabled, ctx.fromFile("web.enabled")]], false)
  if (w !== undefined && w.enabled === undefined && Object.keys(w).length > 0) {
    ctx.warnings.push({
      path: "web.enabled",
      message: "is not set, so the HTTP server stays off",
      hint: "add enabled: true to serve the webhook",
    })
  }
  const host = ctx.pick("web.host", [[w?.host, ctx.fromFile("web.host")]], WEB_DEFAULTS.host)
  const port = ctx.pick("web.port", [[w?.port, ctx.fromFile("web.port")]], WEB_DEFAULTS.port)
  const webhook = ctx.secret("web", [
    ["webhook_secret", w?.webhook_secret],
    ["webhook_secret_file", w?.webhook_secret_file],
  ])
  if (webhook) {
    ctx.sources.set("web.webhook_secret", webhook[1])
    if (Redacted.value(webhook[0]).length < WEB_DEFAULTS.webhookSecretMinLength) {
      ctx.problem(
        "web.webhook_secret",
        `is shorter than ${WEB_DEFAULTS.webhookSecretMinLength} characters`,
        "use a long random value, e.g. the output of `openssl rand -hex 32`",
      )
    }
  } else if (enabled && !ctx.hasProblemAt("web.webhook_secret")) {
    ctx.problem(
      "web.webhook_secret",
      "is required when web.enabled is true",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the ${VAR} syntax shown to the operator
      'set webhook_secret: "${STORMBOT_WEBHOOK_SECRET}" or webhook_secret_file: /run/secrets/...',
    )
  }
  return { enabled, host, port, ...(webhook ? { webhookSecret: webhook[0] } : {}) }
}
