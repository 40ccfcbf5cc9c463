import { createHash } from "node:crypto"
import { httpError, type HttpError } from "./HttpError.ts"
import { isoMicros, objectId, tokenString } from "./ids.ts"

/** An API key as a users file may give it: the key itself, or `{key, enabled}`. */
export type SandboxApiKey = string | { readonly key: string; readonly enabled?: boolean }

/** A sandbox account, as the `--users` file and `SandboxOptions.users` describe it. */
export interface SandboxUser {
  readonly name: string
  readonly password: string
  readonly api_keys?: ReadonlyArray<SandboxApiKey>
  readonly is_service?: boolean
  /** `{<origin>: <chat nickname>}`, used by `impersonate_user` + `nickname_origin`. */
  readonly nicknames?: Record<string, string>
}

export interface TokenRecord {
  readonly id: string
  readonly user: string
  readonly token: string
  expiry: Date
  readonly metadata: Record<string, unknown>
}

interface ApiKeyRecord {
  readonly user: string
  readonly enabled: boolean
}

/** How a request authenticated, as `GET /api/v1/user` reports it. */
export interface AuthInfo {
  readonly user: string
  readonly method: "authentication token" | "api key"
  readonly location: "header" | "query" | "cookie"
  readonly token?: TokenRecord
}

export const sha512 = (text: string): string => createHash("sha512").update(text).digest("hex")

/** Users, their API keys and the tokens st2auth has issued. Survives a sandbox restart. */
export class Credentials {
  readonly #users: ReadonlyArray<SandboxUser>
  readonly #keys = new Map<string, ApiKeyRecord>()
  readonly #tokens = new Map<string, TokenRecord>()
  /** sha512 of API keys recently presented: hashing on every request was a visible cost. Bounded. */
  readonly #keyHashes = new Map<string, string>()

  constructor(
    users: ReadonlyArray<SandboxUser>,
    readonly maxTtlSeconds: number,
  ) {
    this.#users = users
    for (const user of users) {
      for (const k of user.api_keys ?? []) {
        const key = typeof k === "string" ? k : k.key
        const enabled = typeof k === "string" ? true : k.enabled !== false
        this.#keys.set(sha512(key), { user: user.name, enabled })
      }
    }
  }

  get users(): ReadonlyArray<SandboxUser> {
    return this.#users
  }

  user(name: string): SandboxUser | undefined {
    return this.#users.find((u) => u.name === name)
  }

  checkPassword(name: string, password: string): boolean {
    return this.user(name)?.password === password
  }

  /** `create_token`: the default ttl is the maximum; a larger one is a 400. */
  issueToken(user: string, ttl: number | null | undefined): TokenRecord | HttpError {
    if (ttl !== null && ttl !== undefined && ttl > this.maxTtlSeconds) {
      return httpError(400, `TTL specified ${ttl} is greater than max allowed ${this.maxTtlSeconds}.`)
    }
    const seconds = ttl ?? this.maxTtlSeconds
    const record: TokenRecord = {
      id: objectId(),
      user,
      token: tokenString(),
      expiry: new Date(Date.now() + seconds * 1000),
      metadata: {},
    }
    this.#tokens.set(record.token, record)
    return record
  }

  tokenJson(record: TokenRecord): Record<string, unknown> {
    return {
      user: record.user,
      token: record.token,
      expiry: isoMicros(record.expiry),
      id: record.id,
      metadata: record.metadata,
    }
  }

  /** Validates a token: the record, or the st2 401 for an unknown or expired one. */
  checkToken(token: string): TokenRecord | HttpError {
    const record = this.#tokens.get(token)
    if (record === undefined) return httpError(401, "Unauthorized")
    if (record.expiry.getTime() <= Date.now()) return httpError(401, "Unauthorized - Token has expired.")
    return record
  }

  checkApiKey(key: string): ApiKeyRecord | HttpError {
    let hash = this.#keyHashes.get(key)
    if (hash === undefined) {
      hash = sha512(key)
      if (this.#keyHashes.size >= 1000) this.#keyHashes.clear()
      this.#keyHashes.set(key, hash)
    }
    const record = this.#keys.get(hash)
    if (record === undefined) return httpError(401, `Unauthorized - ApiKey with key_hash=${hash} not found.`)
    if (!record.enabled) return httpError(401, "Unauthorized - API key is disabled.")
    return record
  }

  expireAllTokens(): void {
    const past = new Date(Date.now() - 1000)
    for (const record of this.#tokens.values()) record.expiry = past
  }

  /** `User.get_by_nickname`: the st2 user whose `nicknames[origin]` is `nickname`. */
  userByNickname(nickname: string, origin: string | null | undefined): string | HttpError {
    if (origin === null || origin === undefined || origin === "") {
      return httpError(400, `Nickname origin is not provided for nickname '${nickname}'`)
    }
    const found = this.#users.filter((u) => u.nicknames?.[origin] === nickname)
    if (found.length === 0) return httpError(400, `Could not locate user ${nickname}@${origin}`)
    if (found.length > 1) return httpError(400, `${nickname}@${origin} matched more than one username`)
    return found[0]!.name
  }
}
