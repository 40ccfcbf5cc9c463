import { CERTIFICATE_HINT, certificateFailure } from "../AdapterTls.ts"
import type { ConnectionStatus } from "../ChatAdapter.ts"
import { ChatSendPermanent, ChatSendTransient } from "../ChatAdapterError.ts"

/**
 * One total mapping of what `@slack/web-api` throws (WebAPIPlatformError `{ok:false, error}`,
 * WebAPIRateLimitedError, WebAPIHTTPError, WebAPIRequestError) to stormbot's failures. The
 * clients are built with `rejectRateLimitedCalls: true` and no retries, so every 429 reaches
 * here and the outbound queue owns the retry (and the order of a channel's messages). A
 * certificate the adapter's `tls` does not trust is told apart from other network failures.
 */
export type SlackFailure =
  | { readonly _tag: "RateLimited"; readonly retryAfterMs: number }
  | { readonly _tag: "Platform"; readonly error: string }
  | { readonly _tag: "Http"; readonly status: number }
  | { readonly _tag: "Network"; readonly message: string }
  | { readonly _tag: "Certificate"; readonly message: string }

export const classifySlackError = (e: unknown): SlackFailure => {
  const err = (e ?? {}) as {
    code?: unknown
    retryAfter?: unknown
    data?: { error?: unknown }
    statusCode?: unknown
    message?: unknown
    original?: { message?: unknown }
  }
  switch (err.code) {
    case "slack_webapi_rate_limited_error":
      return { _tag: "RateLimited", retryAfterMs: Math.max(0, Number(err.retryAfter ?? 1)) * 1000 }
    case "slack_webapi_platform_error":
      return { _tag: "Platform", error: String(err.data?.error ?? "unknown_error") }
    case "slack_webapi_http_error":
      return { _tag: "Http", status: Number(err.statusCode ?? 0) }
    default: {
      const certificate = certificateFailure(e)
      if (certificate !== undefined) return { _tag: "Certificate", message: certificate }
      return { _tag: "Network", message: String(err.original?.message ?? err.message ?? e) }
    }
  }
}

/** Slack errors that mean the token is wrong, revoked or of the wrong kind: retrying cannot help. */
const CREDENTIAL_ERRORS = new Set([
  "invalid_auth",
  "not_authed",
  "account_inactive",
  "token_revoked",
  "token_expired",
  "not_allowed_token_type",
  "invalid_token",
])

/** Platform errors worth retrying (Slack's own trouble). Any other platform error is permanent. */
const TRANSIENT_ERRORS = new Set([
  "ratelimited",
  "rate_limited",
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
  "team_added_to_org",
])

const HINTS: Record<string, string> = {
  channel_not_found: "the channel does not exist or the bot cannot see it",
  not_in_channel: "the bot is not a member of the channel: /invite the bot there",
  is_archived: "the channel is archived",
  msg_too_long: "the message is too long for Slack",
  user_not_in_channel: "the user is not a member of the channel",
  missing_scope: "the Slack app lacks an OAuth scope (see the app manifest in the README)",
  invalid_auth: "the bot token is not valid",
  not_authed: "no token was sent",
  account_inactive: "the token belongs to a deactivated user or a removed app",
  token_revoked: "the token was revoked",
  not_allowed_token_type: "a token of the wrong kind (Socket Mode needs an app-level xapp- token)",
}

export const describeSlackFailure = (f: SlackFailure): string => {
  switch (f._tag) {
    case "RateLimited":
      return `rate limited by Slack (retry after ${f.retryAfterMs} ms)`
    case "Platform":
      return HINTS[f.error] === undefined
        ? `Slack said ${f.error}`
        : `Slack said ${f.error}: ${HINTS[f.error]}`
    case "Http":
      return `Slack answered HTTP ${f.status}`
    case "Network":
      return `Slack is not reachable: ${f.message}`
    case "Certificate":
      return `Slack's TLS certificate is not trusted: ${f.message}; ${CERTIFICATE_HINT}`
  }
}

export const isCredentialFailure = (f: SlackFailure): boolean =>
  f._tag === "Platform" && CREDENTIAL_ERRORS.has(f.error)

const isTransientFailure = (f: SlackFailure): boolean => {
  switch (f._tag) {
    case "RateLimited":
    case "Network":
    case "Certificate":
      return true
    case "Http":
      return f.status >= 500 || f.status === 408
    case "Platform":
      return TRANSIENT_ERRORS.has(f.error)
  }
}

/** A failed Web API call during a send (or a lookup) as the outbound queue's error. */
export const slackSendError = (
  adapter: string,
  e: unknown,
  what: string,
): ChatSendTransient | ChatSendPermanent => {
  const f = classifySlackError(e)
  const reason = `${what}: ${describeSlackFailure(f)}`
  return isTransientFailure(f)
    ? new ChatSendTransient({
        adapter,
        reason,
        ...(f._tag === "RateLimited" ? { retryAfterMs: f.retryAfterMs } : {}),
      })
    : new ChatSendPermanent({ adapter, reason })
}

/** A failure to open a session (auth.test, apps.connections.open, the HTTP listener) as a status. */
export const connectionFailureStatus = (e: unknown, what: string): ConnectionStatus => {
  const f = classifySlackError(e)
  if (isCredentialFailure(f))
    return { _tag: "InvalidCredentials", reason: `${what}: ${describeSlackFailure(f)}` }
  return { _tag: "Disconnected", reason: `${what}: ${describeSlackFailure(f)}` }
}
