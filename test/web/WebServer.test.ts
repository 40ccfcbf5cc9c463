import { Effect, Redacted, Scope, Exit } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { ChatDelivery } from "../../src/chat/ChatDelivery.ts"
import { makeWebServer, maxBodyBytes } from "../../src/web/WebServer.ts"

const delivered: ChatDelivery[] = []
let url = ""
let scope: Scope.CloseableScope

beforeAll(async () => {
  scope = Effect.runSync(Scope.make())
  const server = await Effect.runPromise(
    makeWebServer({
      host: "127.0.0.1",
      port: 0,
      webhookSecret: Redacted.make("s3cret"),
      deliver: (d) =>
        Effect.sync(() => {
          delivered.push(d)
          return d.channel === "nowhere" ? { queued: false, reason: "unknown channel" } : { queued: true }
        }),
      health: () => ({ status: "ok" }),
    }).pipe(Scope.extend(scope)),
  )
  url = server.url
})
afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/chatops/message`, {
    method: "POST",
    headers: { Authorization: "Bearer s3cret", "Content-Type": "application/json", ...headers },
    body,
  })

describe("WebServer", () => {
  it("delivers a valid, authenticated message and answers 202", async () => {
    const res = await post(
      JSON.stringify({ channel: "#ops", message: "deployed", user: null, whisper: false }),
    )
    expect(res.status).toBe(202)
    expect(delivered.at(-1)).toMatchObject({ channel: "#ops", message: "deployed", whisper: false })
  })

  it("requires the bearer secret", async () => {
    const before = delivered.length
    const none = await post(JSON.stringify({ channel: "#ops", message: "x" }), { Authorization: "" })
    const wrong = await post(JSON.stringify({ channel: "#ops", message: "x" }), {
      Authorization: "Bearer nope",
    })
    expect([none.status, wrong.status]).toEqual([401, 401])
    expect(none.headers.get("www-authenticate")).toContain("Bearer")
    expect(((await wrong.json()) as { error: string }).error).not.toContain("s3cret")
    expect(delivered.length).toBe(before)
  })

  it("explains bad bodies with 4xx answers", async () => {
    const notJson = await post("{nope")
    expect(notJson.status).toBe(400)
    expect(((await notJson.json()) as { error: string }).error).toContain("not valid JSON")
    const missing = await post(JSON.stringify({ channel: 5 }))
    expect(missing.status).toBe(400)
    const body = (await missing.json()) as { problems: string[] }
    expect(body.problems.join("\n")).toContain("`message` is required")
    expect(body.problems.join("\n")).toContain("`channel` must be a string")
    const type = await post("channel=x", { "Content-Type": "text/plain" })
    expect(type.status).toBe(415)
    const big = await post(JSON.stringify({ channel: "#ops", message: "x".repeat(maxBodyBytes + 10) }))
    expect(big.status).toBe(413)
    const undeliverable = await post(JSON.stringify({ channel: "nowhere", message: "x" }))
    expect(undeliverable.status).toBe(422)
  })

  it("answers unknown paths and methods, and serves health", async () => {
    expect((await fetch(`${url}/other`)).status).toBe(404)
    const get = await fetch(`${url}/chatops/message`)
    expect(get.status).toBe(405)
    expect(get.headers.get("allow")).toBe("POST")
    const health = await fetch(`${url}/health`)
    expect(await health.json()).toEqual({ status: "ok" })
  })
})
