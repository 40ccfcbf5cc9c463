import net from "node:net"
import { Effect, Exit, Redacted, Scope } from "effect"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import type { ChatDelivery } from "../../src/chat/ChatDelivery.ts"
import {
  DEFAULT_MAX_REQUEST_BYTES,
  isLoopbackAddress,
  makeWebServer,
  type WebServer,
  type WebServerOptions,
} from "../../src/web/WebServer.ts"
import { eventually } from "../st2/streamServer.ts"

/** The request-body limit under test (limits.max_request_bytes), small so its bounds are plain. */
const LIMIT = 4096

const delivered: ChatDelivery[] = []
const scopes: Array<Scope.CloseableScope> = []

const serve = async (options: Partial<WebServerOptions> = {}): Promise<WebServer> => {
  const scope = Effect.runSync(Scope.make())
  scopes.push(scope)
  return Effect.runPromise(
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
      maxRequestBytes: LIMIT,
      ...options,
    }).pipe(Scope.extend(scope)),
  )
}

let url = ""
beforeAll(async () => {
  url = (await serve()).url
})
afterAll(async () => {
  for (const s of scopes.splice(0)) await Effect.runPromise(Scope.close(s, Exit.void))
})

const post = (body: string, headers: Record<string, string> = {}, path = "/chatops/message", base = url) =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: { Authorization: "Bearer s3cret", "Content-Type": "application/json", ...headers },
    body,
  })

/** A raw TCP client, for what fetch will not do: partial heads, endless bodies. */
const rawClient = async (base: string) => {
  const { port } = new URL(base)
  const socket = net.connect({ host: "127.0.0.1", port: Number(port) })
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve)
    socket.once("error", reject)
  })
  let received = ""
  let closed = false
  let written = 0
  socket.on("data", (c: Buffer) => {
    received += c.toString("latin1")
  })
  socket.on("error", () => {})
  socket.on("close", () => {
    closed = true
  })
  closers.push(async () => void socket.destroy())
  /** Writes `piece` again and again (backpressure respected) until the server closes, or `max` bytes. */
  const writeEndlessly = async (piece: string, max = 64 * 1024 * 1024) => {
    while (!closed && !socket.destroyed && written < max) {
      written += piece.length
      if (!socket.write(piece))
        await new Promise<void>((resolve) => {
          socket.once("drain", resolve)
          socket.once("close", resolve)
        })
    }
  }
  return {
    socket,
    received: () => received,
    closed: () => closed,
    written: () => written,
    writeEndlessly,
  }
}

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of closers.splice(0)) await c()
})

describe("WebServer", () => {
  it("delivers a valid, authenticated message and answers 202", async () => {
    const res = await post(
      JSON.stringify({ channel: "#ops", message: "deployed", user: null, whisper: false }),
    )
    expect(res.status).toBe(202)
    expect(delivered.at(-1)).toMatchObject({ channel: "#ops", message: "deployed", whisper: false })
  })

  it("requires the bearer secret, exactly: no prefix, no extension, no other case", async () => {
    const before = delivered.length
    const message = JSON.stringify({ channel: "#ops", message: "x" })
    const answers = await Promise.all(
      ["", "Bearer nope", "Bearer s3cre", "Bearer s3cret-and-more", "Bearer S3CRET", "Basic s3cret"].map(
        (authorization) => post(message, { Authorization: authorization }),
      ),
    )
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 401, 401, 401])
    expect(answers[0]?.headers.get("www-authenticate")).toContain("Bearer")
    expect(((await answers[1]!.json()) as { error: string }).error).not.toContain("s3cret")
    expect(delivered.length).toBe(before)
    expect((await post(message, { Authorization: "bearer   s3cret" })).status).toBe(202)
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
    const undeliverable = await post(JSON.stringify({ channel: "nowhere", message: "x" }))
    expect(undeliverable.status).toBe(422)
  })

  it("answers unknown paths and methods, and serves health (open on loopback)", async () => {
    expect((await fetch(`${url}/other`)).status).toBe(404)
    const get = await fetch(`${url}/chatops/message`)
    expect(get.status).toBe(405)
    expect(get.headers.get("allow")).toBe("POST")
    const health = await fetch(`${url}/health`)
    expect(await health.json()).toEqual({ status: "ok" })
  })
})

describe("WebServer: request bodies bounded by limits.max_request_bytes", () => {
  const message = (size: number) => {
    const text = JSON.stringify({ channel: "#ops", message: "" })
    return JSON.stringify({ channel: "#ops", message: "m".repeat(size - text.length) })
  }

  it("a body of exactly the limit is read; one byte more is 413 with a JSON reason", async () => {
    expect(message(LIMIT).length).toBe(LIMIT)
    expect((await post(message(LIMIT))).status).toBe(202)
    const over = await post(message(LIMIT + 1))
    expect(over.status).toBe(413)
    expect(await over.json()).toEqual({
      error: `the request body is larger than ${LIMIT} bytes (limits.max_request_bytes)`,
    })
    expect(DEFAULT_MAX_REQUEST_BYTES).toBe(1024 * 1024)
  })

  it("every route refuses a declared body over the limit, before anything else (auth, method, path)", async () => {
    const big = "b".repeat(LIMIT + 1)
    for (const path of ["/chatops/message", "/health", "/other"]) {
      const res = await post(big, { Authorization: "" }, path)
      expect(res.status, path).toBe(413)
      expect(((await res.json()) as { error: string }).error).toContain("limits.max_request_bytes")
    }
  })

  it("an endless chunked body to the webhook: 413, then the server closes; it read a bounded amount", async () => {
    const c = await rawClient(url)
    c.socket.write(
      "POST /chatops/message HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
    )
    await c.writeEndlessly(`400\r\n${"c".repeat(0x400)}\r\n`)
    await eventually("the server closed the connection", c.closed)
    expect(c.received()).toMatch(/^HTTP\/1\.1 413 /)
    expect(c.received()).toContain("limits.max_request_bytes")
    // The limit plus what the kernel's socket buffers hold; a server that reads on takes all 64 MiB.
    expect(c.written()).toBeLessThan(16 * 1024 * 1024)
  })

  it("an endless body to a route that reads none: answered, then closed, not read on", async () => {
    for (const head of [
      "POST /other HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST /chatops/message HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
      "GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
    ]) {
      const c = await rawClient(url)
      c.socket.write(head)
      await c.writeEndlessly(`400\r\n${"d".repeat(0x400)}\r\n`)
      await eventually("the server closed the connection", c.closed)
      expect(c.received()).toMatch(/^HTTP\/1\.1 (404|401|200) /)
      expect(c.written()).toBeLessThan(16 * 1024 * 1024)
    }
  })

  it("the limit comes from the caller (runBot passes limits.max_request_bytes)", async () => {
    const small = await serve({ maxRequestBytes: 1024 })
    expect((await post(message(1025), {}, "/chatops/message", small.url)).status).toBe(413)
    expect((await post(message(1024), {}, "/chatops/message", small.url)).status).toBe(202)
  })
})

describe("WebServer: slow clients (slowloris)", () => {
  const slowServer = () => serve({ headersTimeoutMs: 200, requestTimeoutMs: 400, timeoutCheckIntervalMs: 50 })

  it("headers that never end: 408, and the connection is closed", async () => {
    const c = await rawClient((await slowServer()).url)
    c.socket.write("POST /chatops/message HTTP/1.1\r\nHost: x\r\nX-Slow: a")
    await eventually("the server closed the connection", c.closed)
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /)
  })

  it("a connection that sends nothing is closed", async () => {
    const c = await rawClient((await slowServer()).url)
    await eventually("the server closed the connection", c.closed)
  })

  it("a body that never comes: 408 and closed, nothing delivered", async () => {
    const before = delivered.length
    const c = await rawClient((await slowServer()).url)
    c.socket.write(
      "POST /chatops/message HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    )
    await eventually("the server closed the connection", c.closed)
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /)
    expect(delivered.length).toBe(before)
  })
})

describe("WebServer: /health", () => {
  it("requires the webhook secret when the server is not on loopback only", async () => {
    const web = await serve({ healthRequiresSecret: true })
    expect(web.healthOpen).toBe(false)
    const none = await fetch(`${web.url}/health`)
    expect(none.status).toBe(401)
    expect(await none.json()).not.toHaveProperty("status")
    const wrong = await fetch(`${web.url}/health`, { headers: { Authorization: "Bearer nope" } })
    expect(wrong.status).toBe(401)
    const right = await fetch(`${web.url}/health`, { headers: { Authorization: "Bearer s3cret" } })
    expect(await right.json()).toEqual({ status: "ok" })
  })

  it("is open by default on a loopback address, and only there", async () => {
    expect((await serve()).healthOpen).toBe(true)
    for (const a of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"])
      expect(isLoopbackAddress(a), a).toBe(true)
    for (const a of ["0.0.0.0", "::", "10.0.0.1", "192.168.1.10", "::ffff:10.0.0.1", "fe80::1", "128.0.0.1"])
      expect(isLoopbackAddress(a), a).toBe(false)
  })
})
