import { describe, expect, it } from "vitest"
import { describeSt2Error, isTransient, St2Timeout, St2Unavailable } from "../../src/st2/St2Error.ts"
import { errorFromResponse, faultstringOf, unauthorizedReason } from "../../src/st2/St2ErrorMapping.ts"

describe("unauthorizedReason", () => {
  it.each([
    ["Unauthorized - One of Token or API key required.", "missing"],
    ["Unauthorized - Token has expired.", "expired"],
    ["Unauthorized", "unknownToken"],
    [`Unauthorized - ApiKey with key_hash=${"ab".repeat(64)} not found.`, "unknownKey"],
    ["Unauthorized - API key is disabled.", "disabledKey"],
    ["Invalid or missing credentials", "badCredentials"],
    ["Something new", "other"],
  ])("%s → %s", (faultstring, reason) => {
    expect(unauthorizedReason(faultstring)).toBe(reason)
  })
})

describe("errorFromResponse", () => {
  const base = { method: "GET", path: "/api/v1/x", requestId: "rid" }
  const fault = (f: string) => JSON.stringify({ faultstring: f })
  it.each([
    [401, "St2Unauthorized"],
    [403, "St2Forbidden"],
    [404, "St2NotFound"],
    [400, "St2BadRequest"],
    [405, "St2BadRequest"],
    [409, "St2Conflict"],
    [500, "St2ServerError"],
    [503, "St2ServerError"],
  ])("HTTP %i → %s, carrying the faultstring and request id", (status, tag) => {
    const e = errorFromResponse({ ...base, status, body: fault("why") })
    expect(e).toMatchObject({
      _tag: tag,
      status,
      faultstring: "why",
      requestId: "rid",
      method: "GET",
      path: "/api/v1/x",
    })
  })

  it("keeps the conflict id of a 409", () => {
    const e = errorFromResponse({
      ...base,
      status: 409,
      body: JSON.stringify({ faultstring: "dup", "conflict-id": "c1" }),
    })
    expect(e).toMatchObject({ _tag: "St2Conflict", conflictId: "c1" })
  })

  it("reads the 401 reason", () => {
    const e = errorFromResponse({ ...base, status: 401, body: fault("Unauthorized - Token has expired.") })
    expect(e).toMatchObject({ _tag: "St2Unauthorized", reason: "expired" })
  })

  it("never keeps the key hash st2 quotes in its 401 for an unknown API key, and still reads the reason", () => {
    const hash = "0f".repeat(64)
    const e = errorFromResponse({
      ...base,
      status: 401,
      body: fault(`Unauthorized - ApiKey with key_hash=${hash} not found.`),
    })
    expect(e).toMatchObject({
      _tag: "St2Unauthorized",
      reason: "unknownKey",
      faultstring: "Unauthorized - ApiKey with key_hash=<redacted> not found.",
    })
    expect(describeSt2Error(e)).not.toContain(hash)
    // A proxy's page quoting it is redacted too.
    expect(faultstringOf(401, `<p>ApiKey with key_hash=${hash} not found.</p>`)).not.toContain(hash)
  })

  it("keeps at most 501 characters of st2's faultstring: its start and its end", () => {
    const e = errorFromResponse({
      ...base,
      status: 400,
      body: fault(`Command "${"f".repeat(100_000)}" matched no patterns`),
    })
    const f = e._tag === "St2BadRequest" ? e.faultstring : ""
    expect(f.length).toBe(501)
    expect(f).toMatch(/^Command "f+…f+" matched no patterns$/)
  })

  it("summarises bodies that are not st2's JSON", () => {
    expect(faultstringOf(502, "<html><h1>Bad   Gateway</h1></html>")).toBe("Bad Gateway")
    expect(faultstringOf(503, "")).toBe("HTTP 503 with an empty body")
    expect(faultstringOf(500, "x".repeat(1000)).length).toBeLessThanOrEqual(201)
  })
})

describe("isTransient", () => {
  it("retries outages, not answers", () => {
    const c = { method: "GET", path: "/p" }
    expect(isTransient(new St2Unavailable({ ...c, cause: "ECONNREFUSED" }))).toBe(true)
    expect(isTransient(new St2Timeout({ ...c, timeoutMs: 1 }))).toBe(true)
    expect(isTransient(errorFromResponse({ ...c, status: 503, body: "" }))).toBe(true)
    expect(isTransient(errorFromResponse({ ...c, status: 500, body: "" }))).toBe(false)
    expect(isTransient(errorFromResponse({ ...c, status: 401, body: "" }))).toBe(false)
  })
})
