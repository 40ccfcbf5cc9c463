import { randomBytes, randomUUID } from "node:crypto"

/** A MongoDB-style ObjectId: 24 hex characters, time-ordered like st2's ids. */
export const objectId = (): string => {
  const seconds = Math.floor(Date.now() / 1000)
  if (seconds !== prefixSecond) {
    prefixSecond = seconds
    prefix = seconds.toString(16).padStart(8, "0")
  }
  return prefix + randomHex16()
}

let prefixSecond = -1
let prefix = ""

// Random hex drawn in batches: one randomBytes call (or one Buffer.toString) per id was a
// visible cost in a burst.
let pool = ""
let poolAt = 0
const randomHex16 = (): string => {
  if (poolAt + 16 > pool.length) {
    pool = randomBytes(8 * 512).toString("hex")
    poolAt = 0
  }
  poolAt += 16
  return pool.slice(poolAt - 16, poolAt)
}

/** An st2 auth token: 32 hex characters (a uuid4 without dashes). */
export const tokenString = (): string => randomUUID().replaceAll("-", "")

/** A fresh API key as st2 generates them (urlsafe random text). */
export const apiKeyString = (): string => randomBytes(36).toString("base64url")

export const uuid4 = (): string => randomUUID()

/**
 * st2's timestamp format: `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, microseconds). JavaScript clocks
 * have milliseconds, so the last three digits are zeros.
 */
export const isoMicros = (date: Date): string => {
  const ms = date.getTime()
  if (ms !== lastIso.ms) lastIso = { ms, text: `${date.toISOString().slice(0, -1)}000Z` }
  return lastIso.text
}
// The last timestamp formatted: a burst formats the same millisecond many times.
let lastIso = { ms: Number.NaN, text: "" }

/** `YYYY-MM-DDTHH:MM:SSZ`, the format of `GET /api/v1/user`'s `token_expire`. */
export const isoSeconds = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, "Z")

const stableIds = new Map<string, string>()
/** A fixed ObjectId per name, for built-in things (actions, runners) that exist from the start. */
objectId.stable = (name: string): string => {
  let id = stableIds.get(name)
  if (id === undefined) {
    id = objectId()
    stableIds.set(name, id)
  }
  return id
}
