import { DiscordAPIError, HTTPError, RateLimitError } from "discord.js"
import { type ChatSendError, ChatSendPermanent, ChatSendTransient } from "../ChatAdapterError.ts"

/**
 * How a failed Discord REST call is reported to the outbound queue. Rate limits that discord.js
 * did not absorb itself (a 429, or a bucket empty for longer than the adapter waits) and 5xx or
 * network failures are transient (`retryAfterMs` from Discord when known); an unknown channel
 * or user, missing access or permissions, a rejected body and every other 4xx are permanent,
 * with Discord's message, its JSON error code and what to do about it.
 */
export const discordSendError = (adapter: string, error: unknown): ChatSendError => {
  if (error instanceof RateLimitError) {
    const retryAfterMs = Math.max(0, Math.ceil(Math.max(error.retryAfter, error.timeToReset)))
    return new ChatSendTransient({
      adapter,
      reason: `rate limited by Discord${error.global ? " (global limit)" : ""} on ${error.method.toUpperCase()} ${error.route}`,
      retryAfterMs,
    })
  }
  if (error instanceof DiscordAPIError) {
    if (error.status === 429 || error.status >= 500)
      return new ChatSendTransient({ adapter, reason: `Discord answered ${error.status}: ${error.message}` })
    const code = typeof error.code === "number" ? error.code : Number(error.code)
    return new ChatSendPermanent({ adapter, reason: `${error.message} (${code})${hint(code, error.status)}` })
  }
  if (error instanceof HTTPError)
    return error.status >= 500 || error.status === 429
      ? new ChatSendTransient({ adapter, reason: `Discord answered ${error.status} ${error.message}` })
      : new ChatSendPermanent({ adapter, reason: `Discord answered ${error.status} ${error.message}` })
  // Timeouts (AbortError), refused or reset connections, DNS: the platform may be back soon.
  const message = error instanceof Error ? error.message : String(error)
  return new ChatSendTransient({ adapter, reason: `Discord unreachable: ${message}` })
}

const hint = (code: number, status: number): string => {
  switch (code) {
    case 10003:
      return ": the channel does not exist or the bot cannot see it"
    case 10013:
      return ": no such Discord user"
    case 50001:
      return ": the bot cannot see this channel (give its role View Channels there)"
    case 50013:
      return ": the bot lacks a permission there (Send Messages, Send Messages in Threads, Embed Links)"
    case 50007:
      return ": this user does not accept direct messages from the bot"
    case 50083:
      return ": the thread is archived"
    default:
      return status === 401 ? ": the bot token was rejected" : ""
  }
}
