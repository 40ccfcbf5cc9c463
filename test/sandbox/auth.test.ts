import { createHash } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SandboxHandle } from "../../src/sandbox/Sandbox.ts"
import { basic, call, login, tokenOf, withSandbox } from "./helpers.ts"

describe("sandbox auth (contract §2)", () => {
  let sb: SandboxHandle
  beforeAll(async () => {
    sb = await withSandbox({
      tokenTtlSeconds: 3600,
      users: [
        {
          name: "st2admin",
          password: "Ch@ngeMe",
          api_keys: ["admin-key", { key: "old-key", enabled: false }],
        },
        { name: "bot", password: "pa:ss:word", is_service: true },
        { name: "alice", password: "a", nicknames: { slack: "ally" } },
        { name: "al1", password: "x", nicknames: { slack: "dup" } },
        { name: "al2", password: "x", nicknames: { slack: "dup" } },
      ],
    })
  })
  afterAll(() => sb.stop())

  it("creates a token with Basic auth: 201, 32 hex, st2's expiry format, default ttl = max", async () => {
    const before = Date.now()
    const r = await login(sb)
    expect(r.status).toBe(201)
    expect(Object.keys(r.body).sort()).toEqual(["expiry", "id", "metadata", "token", "user"])
    expect(r.body.user).toBe("st2admin")
    expect(r.body.token).toMatch(/^[0-9a-f]{32}$/)
    expect(r.body.id).toMatch(/^[0-9a-f]{24}$/)
    expect(r.body.expiry).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
    const expiry = Date.parse(r.body.expiry)
    expect(expiry - before).toBeGreaterThanOrEqual(3600_000 - 1000)
    expect(expiry - before).toBeLessThanOrEqual(3600_000 + 5000)
  })

  it("accepts a password containing ':' and a ttl body", async () => {
    const r = await login(sb, "bot", "pa:ss:word", { ttl: 60 })
    expect(r.status).toBe(201)
    expect(Date.parse(r.body.expiry) - Date.now()).toBeLessThanOrEqual(61_000)
  })

  it("rejects bad or missing credentials with 401 Invalid or missing credentials", async () => {
    const cases: Record<string, string>[] = [
      {},
      { Authorization: basic("st2admin", "nope") },
      { Authorization: "Bearer x" },
    ]
    for (const headers of cases) {
      const r = await call(sb, "POST", "/auth/v1/tokens", { headers })
      expect(r.status).toBe(401)
      expect(r.body).toEqual({ faultstring: "Invalid or missing credentials" })
    }
  })

  it("400s a ttl above the maximum and a ttl below 1", async () => {
    const big = await login(sb, "st2admin", "Ch@ngeMe", { ttl: 3601 })
    expect(big.status).toBe(400)
    expect(big.body.faultstring).toBe("TTL specified 3601 is greater than max allowed 3600.")
    const zero = await login(sb, "st2admin", "Ch@ngeMe", { ttl: 0 })
    expect(zero.status).toBe(400)
    expect(zero.body.faultstring).toBe("0 is less than the minimum of 1")
  })

  describe("impersonation", () => {
    it("lets a service account mint a token for `user`", async () => {
      const r = await login(sb, "bot", "pa:ss:word", { user: "alice" })
      expect(r.status).toBe(201)
      expect(r.body.user).toBe("alice")
    })
    it("maps impersonate_user + nickname_origin through nicknames", async () => {
      const r = await login(sb, "bot", "pa:ss:word", { impersonate_user: "ally", nickname_origin: "slack" })
      expect(r.status).toBe(201)
      expect(r.body.user).toBe("alice")
    })
    it.each([
      [{ user: "bot" }, "st2admin", "Current user is not a service and cannot request impersonated tokens"],
      [
        { impersonate_user: "ally", nickname_origin: "slack" },
        "st2admin",
        "Current user is not a service and cannot request impersonated tokens",
      ],
      [{ impersonate_user: "ghost", nickname_origin: "slack" }, "bot", "Could not locate user ghost@slack"],
      [{ impersonate_user: "ally" }, "bot", "Nickname origin is not provided for nickname 'ally'"],
      [
        { impersonate_user: "dup", nickname_origin: "slack" },
        "bot",
        "dup@slack matched more than one username",
      ],
    ])("400 for %j as %s", async (body, user, message) => {
      const r = await login(sb, user, user === "bot" ? "pa:ss:word" : "Ch@ngeMe", body)
      expect(r.status).toBe(400)
      expect(r.body).toEqual({ faultstring: message })
    })
    it("only Basic auth can mint tokens: a token or API key is not enough", async () => {
      const token = await tokenOf(sb)
      const cases: Record<string, string>[] = [{ "X-Auth-Token": token }, { "St2-Api-Key": "admin-key" }]
      for (const headers of cases) {
        const r = await call(sb, "POST", "/auth/v1/tokens", { headers, body: { user: "alice" } })
        expect(r.status).toBe(401)
        expect(r.body.faultstring).toBe("Invalid or missing credentials")
      }
    })
  })

  describe("the five 401s and credential precedence", () => {
    it("no credential", async () => {
      const r = await call(sb, "GET", "/api/v1/actionalias")
      expect(r.status).toBe(401)
      expect(r.body).toEqual({ faultstring: "Unauthorized - One of Token or API key required." })
    })
    it("unknown token", async () => {
      const r = await call(sb, "GET", "/api/v1/user", { headers: { "X-Auth-Token": "0".repeat(32) } })
      expect(r.status).toBe(401)
      expect(r.body).toEqual({ faultstring: "Unauthorized" })
    })
    it("unknown API key names its sha512", async () => {
      const hash = createHash("sha512").update("wrong").digest("hex")
      const r = await call(sb, "GET", "/api/v1/user", { headers: { "St2-Api-Key": "wrong" } })
      expect(r.status).toBe(401)
      expect(r.body).toEqual({ faultstring: `Unauthorized - ApiKey with key_hash=${hash} not found.` })
    })
    it("disabled API key", async () => {
      const r = await call(sb, "GET", "/api/v1/user", { headers: { "St2-Api-Key": "old-key" } })
      expect(r.status).toBe(401)
      expect(r.body).toEqual({ faultstring: "Unauthorized - API key is disabled." })
    })
    it("expired token", async () => {
      const short = await withSandbox({ users: [{ name: "u", password: "p" }] })
      try {
        const token = (await login(short, "u", "p")).body.token
        expect(
          (await call(short, "GET", "/api/v1/user", { headers: { "X-Auth-Token": token } })).status,
        ).toBe(200)
        short.faults.expireAllTokens()
        const r = await call(short, "GET", "/api/v1/user", { headers: { "X-Auth-Token": token } })
        expect(r.status).toBe(401)
        expect(r.body).toEqual({ faultstring: "Unauthorized - Token has expired." })
      } finally {
        await short.stop()
      }
    })
    it("the first credential present wins and is not fallen through", async () => {
      const token = await tokenOf(sb)
      const bad = "0".repeat(32)
      // header token (bad) beats a good API key header
      let r = await call(sb, "GET", "/api/v1/user", {
        headers: { "X-Auth-Token": bad, "St2-Api-Key": "admin-key" },
      })
      expect(r.body).toEqual({ faultstring: "Unauthorized" })
      // header API key (bad) beats a good query token
      r = await call(sb, "GET", `/api/v1/user?x-auth-token=${token}`, { headers: { "st2-api-key": "wrong" } })
      expect(r.status).toBe(401)
      expect(r.body.faultstring).toMatch(/^Unauthorized - ApiKey with key_hash=/)
      // query token beats query key
      r = await call(sb, "GET", `/api/v1/user?x-auth-token=${bad}&st2-api-key=admin-key`)
      expect(r.body).toEqual({ faultstring: "Unauthorized" })
      // query key beats the cookie
      r = await call(sb, "GET", "/api/v1/user?st2-api-key=wrong", {
        headers: { Cookie: `auth-token=${token}` },
      })
      expect(r.status).toBe(401)
      // the cookie alone works
      r = await call(sb, "GET", "/api/v1/user", { headers: { Cookie: `auth-token=${token}` } })
      expect(r.status).toBe(200)
      expect(r.body.authentication).toMatchObject({ method: "authentication token", location: "cookie" })
    })
    it("header names are case-insensitive", async () => {
      const r = await call(sb, "GET", "/api/v1/user", { headers: { "ST2-API-KEY": "admin-key" } })
      expect(r.status).toBe(200)
    })
  })

  it("GET /api/v1/user describes the credential", async () => {
    const token = await tokenOf(sb)
    const t = await call(sb, "GET", "/api/v1/user", { headers: { "X-Auth-Token": token } })
    expect(t.body).toMatchObject({
      username: "st2admin",
      authentication: { method: "authentication token", location: "header" },
      rbac: { enabled: false, is_admin: true },
    })
    expect(t.body.authentication.token_expire).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/)
    const k = await call(sb, "GET", "/api/v1/user?st2-api-key=admin-key")
    expect(k.body.authentication).toEqual({ method: "api key", location: "query" })
  })

  it("hands a header or query token back as the auth-token cookie, not an API key", async () => {
    const token = await tokenOf(sb)
    const r = await call(sb, "GET", "/api/v1/user", { headers: { "X-Auth-Token": token } })
    expect(r.headers.get("set-cookie")).toMatch(new RegExp(`^auth-token=${token}; Max-Age=\\d+; Path=/`))
    const k = await call(sb, "GET", "/api/v1/user", { headers: { "St2-Api-Key": "admin-key" } })
    expect(k.headers.get("set-cookie")).toBeNull()
  })

  it("POST /auth/v1/tokens/validate needs a credential and tells valid from invalid", async () => {
    const token = await tokenOf(sb)
    const noCred = await call(sb, "POST", "/auth/v1/tokens/validate", { body: { token } })
    expect(noCred.status).toBe(401)
    const headers = { "St2-Api-Key": "admin-key" }
    expect((await call(sb, "POST", "/auth/v1/tokens/validate", { headers, body: { token } })).body).toEqual({
      valid: true,
    })
    const bad = await call(sb, "POST", "/auth/v1/tokens/validate", {
      headers,
      body: { token: "f".repeat(32) },
    })
    expect(bad.status).toBe(200)
    expect(bad.body).toEqual({ valid: false })
    expect((await call(sb, "GET", "/auth/v1/tokens/validate", { headers })).status).toBe(404)
  })

  it("API keys never expire", async () => {
    sb.faults.expireAllTokens()
    expect((await call(sb, "GET", "/api/v1/user", { headers: { "St2-Api-Key": "admin-key" } })).status).toBe(
      200,
    )
  })
})
