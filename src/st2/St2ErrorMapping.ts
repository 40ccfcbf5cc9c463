import {
  St2BadRequest,
  St2Conflict,
  type St2Error,
  St2Forbidden,
  St2NotFound,
  St2ServerError,
  St2Unauthorized,
  type UnauthorizedReason,
} from "./St2Error.ts"

/** Reads why st2 answered 401 from its faultstring (contract §2). Total: anything else is `other`. */
export const unauthorizedReason = (faultstring: string): UnauthorizedReason => {
  const f = faultstring.trim()
  if (f === "Unauthorized") return "unknownToken"
  if (/Token or API key required/i.test(f)) return "missing"
  if (/Token has expired/i.test(f)) return "expired"
  if (/ApiKey with key_hash=.* not found/i.test(f)) return "unknownKey"
  if (/API key is disabled/i.test(f)) return "disabledKey"
  if (/Invalid or missing credentials/i.test(f)) return "badCredentials"
  return "other"
}

/** At most this much of a non-JSON error body is kept (an nginx HTML page, say). */
const maxSnippet = 200
/**
 * At most about this much of st2's own faultstring is kept (a server could send megabytes of
 * one): its start and its end, the middle elided, since st2 quotes the command in the middle
 * (`Command "..." matched no patterns`) and callers read the end.
 */
const maxFaultstring = 500
const elideMiddle = (text: string): string =>
  text.length <= maxFaultstring ? text : `${text.slice(0, 300)}…${text.slice(-200)}`

/**
 * st2's 401 for an unknown API key quotes the key's SHA-512 (`ApiKey with key_hash=<hex> not
 * found.`): a credential's fingerprint, kept out of every error, log line and chat answer.
 */
export const redactKeyHash = (text: string): string =>
  text.replace(/key_hash=[0-9A-Za-z+/=_-]+/g, "key_hash=<redacted>")

/**
 * The faultstring of an error body: st2's `{"faultstring": ...}` (at most ~500 characters), or a
 * short, single-line snippet of whatever else came back (nginx answers some errors with HTML).
 * Key hashes are redacted either way.
 */
export const faultstringOf = (status: number, body: string): string => {
  try {
    const json: unknown = JSON.parse(body)
    if (
      typeof json === "object" &&
      json !== null &&
      "faultstring" in json &&
      typeof json.faultstring === "string"
    ) {
      return elideMiddle(redactKeyHash(json.faultstring))
    }
  } catch {
    // not JSON: fall through to the snippet
  }
  const text = redactKeyHash(
    body
      .slice(0, 64 * 1024)
      .replace(/<[^>]*>/g, " ")
      .replace(/\s+/g, " ")
      .trim(),
  )
  if (text === "") return `HTTP ${status} with an empty body`
  return text.length > maxSnippet ? `${text.slice(0, maxSnippet)}…` : text
}

const conflictIdOf = (body: string): string | undefined => {
  try {
    const json: unknown = JSON.parse(body)
    if (typeof json === "object" && json !== null && "conflict-id" in json) {
      const id = json["conflict-id"]
      return typeof id === "string" ? id : id === undefined || id === null ? undefined : String(id)
    }
  } catch {
    // no conflict id
  }
  return undefined
}

export interface ResponseFacts {
  readonly method: string
  readonly path: string
  readonly requestId?: string | undefined
  readonly status: number
  readonly body: string
}

/**
 * The tagged error for a non-2xx answer. 401 → `St2Unauthorized` (with the reason), 403, 404,
 * 409 as named, any other 4xx → `St2BadRequest` (st2's faultstring says what was wrong),
 * 5xx (and anything stranger) → `St2ServerError`.
 */
export const errorFromResponse = (r: ResponseFacts): St2Error => {
  const faultstring = faultstringOf(r.status, r.body)
  const common = { method: r.method, path: r.path, requestId: r.requestId, status: r.status, faultstring }
  switch (r.status) {
    case 401:
      return new St2Unauthorized({ ...common, reason: unauthorizedReason(faultstring) })
    case 403:
      return new St2Forbidden(common)
    case 404:
      return new St2NotFound(common)
    case 409:
      return new St2Conflict({ ...common, conflictId: conflictIdOf(r.body) })
    default:
      return r.status >= 400 && r.status < 500 ? new St2BadRequest(common) : new St2ServerError(common)
  }
}
