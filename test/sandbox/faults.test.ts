import { fetch } from "undici"
import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { type SandboxHandle, sandboxResource } from "../../src/sandbox/Sandbox.ts"
import { basic, call, login, readStream, withSandbox } from "./helpers.ts"

const H = { "St2-Api-Key": "k" }
const users = [{ name: "st2admin", password: "x", api_keys: ["k"] }]

let sb: SandboxHandle | undefined
afterEach(async () => {
  await sb?.stop()
  sb = undefined
})

const openStream = async (s: SandboxHandle) => {
  const res = await fetch(`${s.url}/stream/v1/stream`, { headers: H })
  const body = res.body as unknown as ReadableStream<Uint8Array>
  await readStream(body, (t) => t.length > 0)
  return body
}

/** Resolves when the stream ends (cleanly or by reset). */
const ended = async (body: ReadableStream<Uint8Array>) => {
  const reader = body.getReader()
  try {
    for (;;) if ((await reader.read()).done) return "done"
  } catch {
    return "reset"
  }
}

describe("sandbox fault controls", () => {
  it("dropStreams destroys every open stream (code and HTTP)", async () => {
    sb = await withSandbox({ users })
    const a = await openStream(sb)
    sb.faults.dropStreams()
    expect(["done", "reset"]).toContain(await ended(a))
    const b = await openStream(sb)
    const r = await call(sb, "POST", "/__sandbox/faults/drop-streams")
    expect(r.status).toBe(200)
    expect(["done", "reset"]).toContain(await ended(b))
  })

  it("stream mode unavailable answers 503 JSON; nginx-retry answers 200 retry: 1000 then closes", async () => {
    sb = await withSandbox({ users })
    sb.faults.setStreamMode("unavailable")
    const down = await call(sb, "GET", "/stream/v1/stream", { headers: H })
    expect(down.status).toBe(503)
    expect(JSON.parse(down.text).faultstring).toMatch(/st2stream/)
    await call(sb, "POST", "/__sandbox/faults/stream-mode", { body: { mode: "nginx-retry" } })
    const retry = await call(sb, "GET", "/stream/v1/stream", { headers: H })
    expect(retry.status).toBe(200)
    expect(retry.headers.get("content-type")).toBe("text/event-stream")
    expect(retry.text).toBe("retry: 1000\n\n")
    const bad = await call(sb, "POST", "/__sandbox/faults/stream-mode?mode=sideways")
    expect(bad.status).toBe(400)
    await call(sb, "POST", "/__sandbox/faults/reset")
    const res = await fetch(`${sb.url}/stream/v1/stream`, { headers: H })
    expect(res.status).toBe(200)
    await res.body?.cancel()
  })

  it("api mode unavailable answers nginx's 503 on api and auth; delay slows them; reset restores", async () => {
    sb = await withSandbox({ users })
    sb.faults.setApiMode("unavailable")
    const api = await call(sb, "GET", "/api/v1/user", { headers: H })
    expect(api.status).toBe(503)
    expect(JSON.parse(api.text)).toEqual({
      faultstring: "Nginx is unable to reach st2api. Make sure service is running.",
    })
    const auth = await login(sb, "st2admin", "x")
    expect(auth.status).toBe(503)
    expect(JSON.parse(auth.text).faultstring).toMatch(/st2auth/)
    const admin = await call(sb, "GET", "/__sandbox/state")
    expect(admin.body.api_mode).toBe("unavailable")
    const delayed = await call(sb, "POST", "/__sandbox/faults/api-mode", { body: { delay_ms: 300 } })
    expect(delayed.status).toBe(200)
    expect(delayed.body.state.api_mode).toEqual({ delayMs: 300 })
    // The delay is an outcome, not a stopwatch: a client that gives up well before it times out,
    // on api and on auth, while one that waits gets st2's answer.
    const impatient = (path: string, init: { method?: string; headers: Record<string, string> }) =>
      fetch(`${sb!.url}${path}`, { ...init, signal: AbortSignal.timeout(30) })
    await expect(impatient("/api/v1/user", { headers: H })).rejects.toMatchObject({ name: "TimeoutError" })
    await expect(
      impatient("/auth/v1/tokens", {
        method: "POST",
        headers: { Authorization: basic("st2admin", "x") },
      }),
    ).rejects.toMatchObject({ name: "TimeoutError" })
    const patient = await call(sb, "GET", "/api/v1/user", { headers: H })
    expect(patient.status).toBe(200)
    expect(patient.body.username).toBe("st2admin")
    sb.faults.reset()
    expect((await call(sb, "GET", "/__sandbox/state")).body.api_mode).toBe("ok")
  })

  it("expire-tokens over HTTP expires every token", async () => {
    sb = await withSandbox({ users })
    const token = (await login(sb, "st2admin", "x")).body.token
    await call(sb, "POST", "/__sandbox/faults/expire-tokens")
    const r = await call(sb, "GET", "/api/v1/user", { headers: { "X-Auth-Token": token } })
    expect(r.body).toEqual({ faultstring: "Unauthorized - Token has expired." })
  })

  it("stop and start again on the same port keep tokens and executions", async () => {
    sb = await withSandbox({ users })
    const port = sb.port
    const token = (await login(sb, "st2admin", "x")).body.token
    const ex = await call(sb, "POST", "/api/v1/aliasexecution/match_and_execute", {
      headers: H,
      body: { command: "noop", user: "u", source_channel: "c" },
    })
    const stream = await openStream(sb)
    await sb.stop()
    expect(["done", "reset"]).toContain(await ended(stream))
    await expect(fetch(`${sb.url}/api/v1/user`, { headers: H })).rejects.toThrow()
    await sb.start()
    expect(sb.port).toBe(port)
    expect((await call(sb, "GET", "/api/v1/user", { headers: { "X-Auth-Token": token } })).status).toBe(200)
    const again = await call(sb, "GET", `/api/v1/executions/${ex.body.results[0].execution.id}`, {
      headers: H,
    })
    expect(again.status).toBe(200)
  })

  it("POST /__sandbox/restart?down_ms=N goes down and comes back on the same port", async () => {
    sb = await withSandbox({ users })
    const r = await call(sb, "POST", "/__sandbox/restart?down_ms=200")
    expect(r.status).toBe(202)
    await new Promise((res) => setTimeout(res, 80))
    await expect(fetch(`${sb.url}/api/v1/user`, { headers: H })).rejects.toThrow()
    for (let i = 0; i < 100; i++) {
      try {
        if ((await call(sb, "GET", "/api/v1/user", { headers: H })).status === 200) break
      } catch {
        await new Promise((res) => setTimeout(res, 20))
      }
    }
    expect((await call(sb, "GET", "/api/v1/user", { headers: H })).status).toBe(200)
  })

  it("POST /__sandbox/announce pushes an announcement", async () => {
    sb = await withSandbox({ users })
    const res = await fetch(`${sb.url}/stream/v1/stream`, { headers: H })
    const body = res.body as unknown as ReadableStream<Uint8Array>
    const r = await call(sb, "POST", "/__sandbox/announce", {
      body: { route: "hubot", payload: { message: "m" } },
    })
    expect(r.body.event).toBe("st2.announcement__chatops")
    const text = await readStream(body, (t) => t.includes("\n\n", 1))
    expect(text).toContain(
      'event: st2.announcement__chatops\ndata: {"payload":{"message":"m"},"trace_context":null}\n\n',
    )
    await body.cancel()
  })

  it("sandboxResource stops the sandbox when its scope closes", async () => {
    const url = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const handle = yield* sandboxResource({ users })
          const r = yield* Effect.promise(() => call(handle, "GET", "/api/v1/user", { headers: H }))
          expect(r.status).toBe(200)
          return handle.url
        }),
      ),
    )
    await expect(fetch(`${url}/api/v1/user`, { headers: H })).rejects.toThrow()
  })

  it("defaults: st2admin / Ch@ngeMe and a generated API key on 127.0.0.1", async () => {
    sb = await withSandbox()
    expect(sb.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(sb.users.map((u) => u.name)).toEqual(["st2admin"])
    expect(sb.apiKey.length).toBeGreaterThan(20)
    expect((await login(sb, "st2admin", "Ch@ngeMe")).status).toBe(201)
    expect((await call(sb, "GET", "/api/v1/user", { headers: { "St2-Api-Key": sb.apiKey } })).status).toBe(
      200,
    )
  })
})
