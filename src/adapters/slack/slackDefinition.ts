import { HttpUrl, integer, oneOf, Text } from "../../config/configLeaves.ts"
import { defineAdapter, optional, secretKeys } from "../AdapterDefinition.ts"
import type { SlackAdapterOptions } from "./SlackAdapter.ts"
import type { SlackConfig } from "./slackConfig.ts"

const DEFAULTS = {
  mode: "socket",
  apiUrl: "https://slack.com/api",
  httpHost: "127.0.0.1",
  httpPort: 3000,
  httpPath: "/slack/events",
} as const

/** Slack through Bolt: Socket Mode (bot + app-level token) or the HTTP Events API (signing secret). */
export const slackDefinition = defineAdapter<SlackConfig, SlackAdapterOptions>()({
  type: "slack",
  settings: {
    mode: optional(oneOf(["socket", "http"])),
    ...secretKeys("bot_token"),
    ...secretKeys("app_token"),
    ...secretKeys("signing_secret"),
    api_url: optional(HttpUrl),
    http_host: optional(Text),
    http_port: optional(integer(0, 65535)),
    http_path: optional(Text),
  },
  tls: {
    // The Events API receiver (mode http) is a server: it opens no TLS connection.
    connections: (c) =>
      c.mode === "socket" ? ["the Slack Web API", "the Socket Mode WebSocket"] : ["the Slack Web API"],
  },
  decode: (entry, ctx) => {
    const mode = ctx.setting<"socket" | "http">("mode", entry.mode, DEFAULTS.mode)
    const botToken = ctx.secret("bot_token")
    const appToken = ctx.secret("app_token")
    const signingSecret = ctx.secret("signing_secret")
    if (botToken === undefined) ctx.required("bot_token", "for Slack (the bot token, xoxb-...)")
    if (mode === "socket" && appToken === undefined)
      ctx.required("app_token", "in Socket Mode (an app-level token with connections:write, xapp-...)")
    if (mode === "http" && signingSecret === undefined)
      ctx.required("signing_secret", "with mode: http (the app's signing secret)")
    if (botToken === undefined) return undefined
    return {
      mode,
      botToken,
      appToken,
      signingSecret,
      apiUrl: ctx.setting("api_url", entry.api_url, DEFAULTS.apiUrl),
      http: {
        host: ctx.setting("http_host", entry.http_host, DEFAULTS.httpHost),
        port: ctx.setting("http_port", entry.http_port, DEFAULTS.httpPort),
        path: ctx.setting("http_path", entry.http_path, DEFAULTS.httpPath),
      },
    }
  },
  show: (c, lines) => {
    lines.value("mode", c.mode)
    lines.secret("bot_token", c.botToken)
    lines.secret("app_token", c.appToken)
    lines.secret("signing_secret", c.signingSecret)
    lines.value("api_url", c.apiUrl)
    if (c.mode === "http") {
      lines.value("http_host", c.http.host)
      lines.value("http_port", c.http.port)
      lines.value("http_path", c.http.path)
    }
  },
  make: async (c, options) => (await import("./SlackAdapter.ts")).makeSlackAdapter(c, options),
})
