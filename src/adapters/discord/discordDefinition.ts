import type { Redacted } from "effect"
import { HttpUrl } from "../../config/configLeaves.ts"
import { defineAdapter, optional, secretKeys } from "../AdapterDefinition.ts"
import type { AdapterTlsConfig } from "../AdapterTls.ts"
import type { DiscordAdapterOptions } from "./DiscordAdapter.ts"

/** A decoded `type: discord` entry of the configuration. */
export type DiscordConfig = {
  readonly type: "discord"
  readonly name: string
  readonly token: Redacted.Redacted<string>
  /** The REST base, without trailing slash (the gateway URL comes from `GET /gateway/bot`). */
  readonly apiUrl: string
  /** REST's and the gateway WebSocket's TLS. */
  readonly tls: AdapterTlsConfig
}

/** What `makeAdapters` may tune beyond the configuration (tests). */
export type DiscordTuning = Partial<
  Pick<DiscordAdapterOptions, "rateLimitWaitMs" | "restRetries" | "restTimeoutMs">
>

const DEFAULT_API_URL = "https://discord.com/api"

/** Discord through discord.js: a bot token; the REST base is configurable. */
export const discordDefinition = defineAdapter<DiscordConfig, DiscordTuning>()({
  type: "discord",
  settings: { ...secretKeys("token"), api_url: optional(HttpUrl) },
  tls: { connections: () => ["Discord's REST API", "the Discord gateway WebSocket"] },
  decode: (entry, ctx) => {
    const token = ctx.secret("token")
    const apiUrl = ctx.setting("api_url", entry.api_url, DEFAULT_API_URL)
    if (token === undefined) {
      ctx.required("token", "for Discord (the bot token)")
      return undefined
    }
    return { token, apiUrl }
  },
  show: (c, lines) => {
    lines.secret("token", c.token)
    lines.value("api_url", c.apiUrl)
  },
  make: async (c, tuning) => (await import("./DiscordAdapter.ts")).makeDiscordAdapter({ ...tuning, ...c }),
})
