import type { IncomingMessage } from "node:http"
import type { AuthInfo, Credentials } from "./Credentials.ts"
import { type HttpError, httpError, isHttpError } from "./HttpError.ts"
import { json, type Reply } from "./http.ts"
import { schemas, validateBody } from "./validateBody.ts"

const invalid = () => httpError(401, "Invalid or missing credentials")

/** `Authorization: Basic base64(user:password)`; the password is everything after the first `:`. */
const basicCredentials = (req: IncomingMessage): { user: string; password: string } | undefined => {
  const value = req.headers.authorization
  if (value === undefined) return undefined
  const [scheme, encoded] = value.trim().split(/\s+/, 2)
  if (scheme?.toLowerCase() !== "basic" || encoded === undefined) return undefined
  const decoded = Buffer.from(encoded, "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  if (colon === -1) return undefined
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

interface TokenRequest {
  readonly ttl?: number | null
  readonly user?: string | null
  readonly impersonate_user?: string | null
  readonly nickname_origin?: string | null
}

/** `POST /auth/v1/tokens`: st2auth's standalone handler, impersonation included. */
export const createToken = (
  req: IncomingMessage,
  body: unknown,
  credentials: Credentials,
): Reply | HttpError => {
  const problem = body === undefined ? undefined : validateBody(body, schemas.tokenRequest)
  if (problem !== undefined) return problem
  const request = (body ?? {}) as TokenRequest
  const basic = basicCredentials(req)
  if (basic === undefined || !credentials.checkPassword(basic.user, basic.password)) return invalid()
  let username = basic.user
  const notService = () =>
    httpError(400, "Current user is not a service and cannot request impersonated tokens")
  if (request.user !== undefined && request.user !== null) {
    if (credentials.user(basic.user)?.is_service !== true) return notService()
    username = request.user
  } else if (request.impersonate_user !== undefined && request.impersonate_user !== null) {
    if (credentials.user(basic.user)?.is_service !== true) return notService()
    const found = credentials.userByNickname(request.impersonate_user, request.nickname_origin)
    if (isHttpError(found)) return found
    username = found
  }
  const token = credentials.issueToken(username, request.ttl)
  return isHttpError(token) ? token : json(201, credentials.tokenJson(token))
}

/** `POST /auth/v1/tokens/validate` (the caller has already authenticated). */
export const validateToken = (
  body: unknown,
  credentials: Credentials,
  _auth: AuthInfo,
): Reply | HttpError => {
  const problem = body === undefined ? undefined : validateBody(body, schemas.tokenValidation)
  if (problem !== undefined) return problem
  const token = (body as { token?: string | null } | undefined)?.token
  if (token === undefined || token === null || token === "") return httpError(400, "Token is not provided.")
  return json(200, { valid: !isHttpError(credentials.checkToken(token)) })
}
