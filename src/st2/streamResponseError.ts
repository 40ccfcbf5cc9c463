import {
  St2BadRequest,
  St2Conflict,
  St2Forbidden,
  St2NotFound,
  St2ServerError,
  St2Unauthorized,
  type UnauthorizedReason,
} from "./St2Error.ts"

/** The errors a stream request can end with before any event arrives. */
export type StreamResponseError =
  | St2Unauthorized
  | St2Forbidden
  | St2NotFound
  | St2BadRequest
  | St2Conflict
  | St2ServerError

/** Why st2 said 401, read from its faultstring (contract §2). */
export const unauthorizedReason = (faultstring: string): UnauthorizedReason => {
  const f = faultstring.trim()
  if (f === "Unauthorized") return "unknownToken"
  if (f.startsWith("Unauthorized - One of Token or API key required")) return "missing"
  if (f.startsWith("Unauthorized - Token has expired")) return "expired"
  if (f.startsWith("Unauthorized - ApiKey with key_hash=")) return "unknownKey"
  if (f.startsWith("Unauthorized - API key is disabled")) return "disabledKey"
  if (f.startsWith("Invalid or missing credentials")) return "badCredentials"
  return "other"
}

/** st2's `faultstring` from an error body; a non-JSON body (a proxy's HTML page) is summarised. */
export const faultstringOf = (body: string): string => {
  try {
    const parsed: unknown = JSON.parse(body)
    if (typeof parsed === "object" && parsed !== null && "faultstring" in parsed) {
      const f = (parsed as { faultstring: unknown }).faultstring
      if (typeof f === "string") return f
    }
  } catch {
    // not JSON: fall through
  }
  const text = body.replace(/\s+/g, " ").trim()
  return text.length === 0 ? "(empty body)" : text.length > 200 ? `${text.slice(0, 200)}…` : text
}

/**
 * The tagged error for a non-200 answer to `GET /stream`. Total over status codes: statuses the
 * contract does not name (3xx, 429, other 4xx) are treated as the server misbehaving.
 */
export const streamResponseError = (answer: {
  readonly status: number
  readonly body: string
  readonly path: string
  readonly requestId?: string | undefined
}): StreamResponseError => {
  const faultstring = faultstringOf(answer.body)
  const common = {
    method: "GET",
    path: answer.path,
    requestId: answer.requestId,
    status: answer.status,
    faultstring,
  }
  switch (answer.status) {
    case 400:
      return new St2BadRequest(common)
    case 401:
      return new St2Unauthorized({ ...common, reason: unauthorizedReason(faultstring) })
    case 403:
      return new St2Forbidden(common)
    case 404:
      return new St2NotFound(common)
    case 409:
      return new St2Conflict(common)
    default:
      return new St2ServerError(common)
  }
}
