import type { IncomingMessage } from "node:http"
import type { AuthInfo, Credentials } from "./Credentials.ts"
import { type HttpError, httpError, isHttpError } from "./HttpError.ts"

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

/** Cookie `name` from the request's `Cookie` header. */
export const cookie = (req: IncomingMessage, name: string): string | undefined => {
  for (const part of (header(req, "cookie") ?? "").split(";")) {
    const eq = part.indexOf("=")
    if (eq !== -1 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim())
  }
  return undefined
}

const present = (
  value: string | null | undefined,
  kind: "token" | "key",
  location: AuthInfo["location"],
): { value: string; kind: "token" | "key"; location: AuthInfo["location"] } | undefined =>
  value === undefined || value === null ? undefined : { value, kind, location }

/**
 * st2's credential lookup: the FIRST present of header `X-Auth-Token`, header `St2-Api-Key`,
 * query `x-auth-token`, query `st2-api-key`, cookie `auth-token` is validated; if it is invalid
 * the request fails, no other credential is tried.
 */
export const authenticate = (
  req: IncomingMessage,
  query: URLSearchParams,
  credentials: Credentials,
): AuthInfo | HttpError => {
  // `??` stops at the first credential present: the later ones are not even parsed.
  const found =
    present(header(req, "x-auth-token"), "token", "header") ??
    present(header(req, "st2-api-key"), "key", "header") ??
    present(query.get("x-auth-token"), "token", "query") ??
    present(query.get("st2-api-key"), "key", "query") ??
    present(cookie(req, "auth-token"), "token", "cookie")
  if (found === undefined) return httpError(401, "Unauthorized - One of Token or API key required.")
  const { value, kind, location } = found
  if (kind === "token") {
    const record = credentials.checkToken(value)
    if (isHttpError(record)) return record
    return { user: record.user, method: "authentication token", location, token: record }
  }
  const key = credentials.checkApiKey(value)
  if (isHttpError(key)) return key
  return { user: key.user, method: "api key", location }
}
