import { DiscordAPIError, DiscordjsError, DiscordjsErrorCodes } from "discord.js"
import { CERTIFICATE_HINT, certificateFailure } from "../AdapterTls.ts"
import type { ConnectionStatus } from "../ChatAdapter.ts"

/**
 * The one place Discord's failures become connection statuses. A rejected token (401 from
 * `GET /gateway/bot`, gateway close 4004) and a privileged intent the application has not been
 * granted (close 4014) are `InvalidCredentials`: retrying without new configuration is
 * pointless. Other fatal closes and login failures (Discord unreachable, a REST certificate the
 * adapter's `tls` does not trust) are `Disconnected`,
 * for the adapter-connection machine to retry; closes discord.js resumes from are `Reconnecting`.
 */
export const statusOfGatewayClose = (code: number): ConnectionStatus => {
  switch (code) {
    case 4004:
      return {
        _tag: "InvalidCredentials",
        reason: BAD_TOKEN("the gateway closed with 4004 Authentication failed"),
      }
    case 4014:
      return { _tag: "InvalidCredentials", reason: DISALLOWED_INTENTS }
    case 4010:
    case 4011:
    case 4012:
    case 4013:
      return {
        _tag: "Disconnected",
        reason: `the Discord gateway closed the connection with ${code} (${CLOSE_NAMES[code]})`,
      }
    default:
      return {
        _tag: "Reconnecting",
        reason: `the Discord gateway connection closed (${code}); discord.js is resuming`,
      }
  }
}

export const statusOfLoginError = (error: unknown): ConnectionStatus => {
  if (error instanceof DiscordjsError) {
    if (error.code === DiscordjsErrorCodes.TokenInvalid)
      return { _tag: "InvalidCredentials", reason: BAD_TOKEN("Discord answered 401 Unauthorized") }
    if (error.code === DiscordjsErrorCodes.TokenMissing)
      return {
        _tag: "InvalidCredentials",
        reason: "no Discord bot token: set `token` or `token_file` in stormbot.yaml",
      }
  }
  if (error instanceof DiscordAPIError && error.status === 401)
    return { _tag: "InvalidCredentials", reason: BAD_TOKEN("Discord answered 401 Unauthorized") }
  const message = error instanceof Error ? error.message : String(error)
  if (message === "Authentication failed")
    return {
      _tag: "InvalidCredentials",
      reason: BAD_TOKEN("the gateway closed with 4004 Authentication failed"),
    }
  if (message === "Used disallowed intents") return { _tag: "InvalidCredentials", reason: DISALLOWED_INTENTS }
  const certificate = certificateFailure(error)
  if (certificate !== undefined)
    return {
      _tag: "Disconnected",
      reason: `could not connect to Discord: its TLS certificate is not trusted: ${certificate}; ${CERTIFICATE_HINT}`,
    }
  return { _tag: "Disconnected", reason: `could not connect to Discord: ${message}` }
}

const BAD_TOKEN = (what: string) =>
  `Discord rejected the bot token (${what}): put the token from the developer portal (Bot → Reset Token) in \`token\` or \`token_file\``

const DISALLOWED_INTENTS =
  "Discord refused the Message Content intent (gateway close 4014): enable it for the bot in the developer portal (Bot → Privileged Gateway Intents → Message Content Intent)"

const CLOSE_NAMES: Record<number, string> = {
  4010: "Invalid shard",
  4011: "Sharding required",
  4012: "Invalid API version",
  4013: "Invalid intents",
}
