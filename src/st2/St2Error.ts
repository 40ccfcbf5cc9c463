import { Data } from "effect"

/**
 * Every way a StackStorm request can fail. Each carries the `X-Request-ID` st2 answered with
 * (when there was an answer), the request's method and path (never its query or credentials),
 * and, for HTTP errors, st2's `faultstring`.
 */
interface Common {
  readonly method: string
  readonly path: string
  readonly requestId?: string | undefined
}
interface Http extends Common {
  readonly status: number
  readonly faultstring: string
}

/** Why st2 answered 401, read from its faultstring (see the contract, §2). */
export type UnauthorizedReason =
  | "missing" // Unauthorized - One of Token or API key required.
  | "expired" // Unauthorized - Token has expired.
  | "unknownToken" // Unauthorized
  | "unknownKey" // Unauthorized - ApiKey with key_hash=... not found.
  | "disabledKey" // Unauthorized - API key is disabled.
  | "badCredentials" // Invalid or missing credentials (POST /auth/v1/tokens)
  | "other"

export class St2Unauthorized extends Data.TaggedError("St2Unauthorized")<
  Http & { readonly reason: UnauthorizedReason }
> {}
export class St2Forbidden extends Data.TaggedError("St2Forbidden")<Http> {}
export class St2NotFound extends Data.TaggedError("St2NotFound")<Http> {}
export class St2BadRequest extends Data.TaggedError("St2BadRequest")<Http> {}
export class St2Conflict extends Data.TaggedError("St2Conflict")<
  Http & { readonly conflictId?: string | undefined }
> {}
/** 5xx; 503 included (the stock nginx answers 503 when st2api/st2auth are down). */
export class St2ServerError extends Data.TaggedError("St2ServerError")<Http> {}
/** No HTTP answer: connection refused or reset, DNS failure, TLS failure. */
export class St2Unavailable extends Data.TaggedError("St2Unavailable")<Common & { readonly cause: string }> {}
/**
 * No (complete) answer in time. `phase`: what was still awaited, when it is not the whole request:
 * the connection (`connect`) or the status line and headers (`headers`) of the stream's request.
 */
export class St2Timeout extends Data.TaggedError("St2Timeout")<
  Common & { readonly timeoutMs: number; readonly phase?: "connect" | "headers" | undefined }
> {}
/** A 2xx answer whose body is not what the contract says. */
export class St2UndecodableBody extends Data.TaggedError("St2UndecodableBody")<
  Common & { readonly status: number; readonly detail: string }
> {}

/**
 * An answer larger than stormbot reads (`limits.max_response_bytes`): a declared `Content-Length`
 * over the limit (`declaredBytes`, refused before reading), a body that passed it while read
 * (`part: "body"`), or one event of the stream (or one line) that did (`part: "event"`). The
 * connection is closed, never reused. Carries no byte of the body.
 */
export class St2ResponseTooLarge extends Data.TaggedError("St2ResponseTooLarge")<
  Common & {
    readonly status: number
    readonly limitBytes: number
    readonly declaredBytes?: number | undefined
    readonly part: "body" | "event"
  }
> {}

export type St2Error =
  | St2Unauthorized
  | St2Forbidden
  | St2NotFound
  | St2BadRequest
  | St2Conflict
  | St2ServerError
  | St2Unavailable
  | St2Timeout
  | St2UndecodableBody
  | St2ResponseTooLarge

/** Failures worth retrying later: st2 (or the way to it) is down or slow, not wrong. */
export const isTransient = (e: St2Error): boolean =>
  e._tag === "St2Unavailable" ||
  e._tag === "St2Timeout" ||
  (e._tag === "St2ServerError" && (e.status === 502 || e.status === 503 || e.status === 504))

/** `St2Unauthorized` guard usable on any error channel (`Effect.catchIf`). */
export const isSt2Unauthorized = (u: unknown): u is St2Unauthorized =>
  typeof u === "object" && u !== null && "_tag" in u && u._tag === "St2Unauthorized"

/**
 * One line for logs and chat: what failed, where, and st2's words. Holds no credentials
 * (errors never carry them) and names the request id so an operator can find st2's log line.
 */
export const describeSt2Error = (e: St2Error): string => {
  const where = `${e.method} ${e.path}`
  const rid = e.requestId === undefined ? "" : ` (request id ${e.requestId})`
  switch (e._tag) {
    case "St2Unavailable":
      return `StackStorm is unreachable at ${where}: ${e.cause}${rid}`
    case "St2Timeout":
      return e.phase === "connect"
        ? `could not connect to StackStorm for ${where} within ${e.timeoutMs} ms${rid}`
        : e.phase === "headers"
          ? `StackStorm sent no answer headers to ${where} within ${e.timeoutMs} ms${rid}`
          : `StackStorm did not answer ${where} within ${e.timeoutMs} ms${rid}`
    case "St2ResponseTooLarge":
      return `${describeTooLarge(e, where)}${rid}`
    case "St2UndecodableBody":
      return `StackStorm answered ${where} with HTTP ${e.status} and a body stormbot cannot read: ${e.detail}${rid}`
    case "St2Unauthorized":
      return `StackStorm refused the credential at ${where} (${e.reason}): ${e.faultstring}${rid}`
    default:
      return `StackStorm answered ${where} with HTTP ${e.status}: ${e.faultstring}${rid}`
  }
}

/** What was too large, and the setting that bounds it. */
const describeTooLarge = (e: St2ResponseTooLarge, where: string): string => {
  const limit = `${e.limitBytes} bytes (limits.max_response_bytes)`
  if (e.part === "event")
    return `StackStorm's stream at ${where} sent an event (or line) larger than ${limit}; the connection was closed`
  if (e.declaredBytes !== undefined)
    return `StackStorm's answer to ${where} (HTTP ${e.status}) declared ${e.declaredBytes} bytes, more than ${limit}; it was not read`
  return `StackStorm's answer to ${where} (HTTP ${e.status}) was larger than ${limit}; the rest was not read`
}
