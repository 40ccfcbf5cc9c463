import type { IncomingMessage } from "node:http"
import { httpError, type HttpError } from "./HttpError.ts"

/** What a route answers: a status, a JSON body (omitted for 204) and extra headers. */
export interface Reply {
  readonly status: number
  readonly body?: unknown
  readonly headers?: Record<string, string>
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({
  status,
  body,
  ...(headers === undefined ? {} : { headers }),
})

/** Reads a request body; `undefined` when empty. */
export const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () =>
      resolve(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8")),
    )
    req.on("error", reject)
  })

/** Parses a JSON body (st2 accepts JSON and form data; the sandbox only JSON). Empty → undefined. */
export const parseJsonBody = (text: string): unknown | HttpError => {
  if (text.trim() === "") return undefined
  try {
    return JSON.parse(text)
  } catch (e) {
    return httpError(400, `Failed to parse request body: ${e instanceof Error ? e.message : String(e)}`)
  }
}

/** `limit`/`offset` as st2's list endpoints read them. */
export const pagination = (
  query: URLSearchParams,
  defaultLimit = 100,
): { limit: number; offset: number } | HttpError => {
  const rawLimit = query.get("limit")
  const rawOffset = query.get("offset")
  let limit = defaultLimit
  if (rawLimit !== null && rawLimit !== "") {
    if (!/^-?\d+$/.test(rawLimit.trim()))
      return httpError(400, `invalid literal for int() with base 10: '${rawLimit}'`)
    limit = Number.parseInt(rawLimit, 10)
    if (limit < -1) return httpError(400, `Limit, "${limit}" specified, must be a positive number.`)
    if (limit === 0) limit = defaultLimit
  }
  let offset = 0
  if (rawOffset !== null && rawOffset !== "") {
    if (!/^\d+$/.test(rawOffset.trim()))
      return httpError(400, `invalid literal for int() with base 10: '${rawOffset}'`)
    offset = Number.parseInt(rawOffset, 10)
  }
  return { limit, offset }
}

/** One page of `items` with st2's `X-Total-Count` and (unless `limit=-1`) `X-Limit` headers. */
export const page = (items: ReadonlyArray<unknown>, p: { limit: number; offset: number }): Reply => {
  const slice = p.limit === -1 ? items.slice(p.offset) : items.slice(p.offset, p.offset + p.limit)
  const headers: Record<string, string> = { "X-Total-Count": String(items.length) }
  if (p.limit !== -1) headers["X-Limit"] = String(p.limit)
  return json(200, slice, headers)
}

/** Query values given as `a,b` or repeated: `events=a,b&events=c` → `[a, b, c]`. */
export const listParam = (query: URLSearchParams, name: string): string[] =>
  query
    .getAll(name)
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "")
