import { timingSafeEqual } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, Either, Redacted, Runtime, type Scope } from "effect"
import type { ChatDelivery } from "../chat/ChatDelivery.ts"
import { decodeWebhookMessage } from "../chat/WebhookMessage.ts"

export interface WebServerOptions {
  readonly host: string
  /** 0 picks a free port. */
  readonly port: number
  /** The bearer secret `POST /chatops/message` requires. */
  readonly webhookSecret: Redacted.Redacted<string>
  /** Hands a validated webhook message to chat; answers what happened. */
  readonly deliver: (
    delivery: ChatDelivery,
  ) => Effect.Effect<{ readonly queued: boolean; readonly reason?: string }>
  /** Body of `GET /health`. */
  readonly health: () => Record<string, unknown>
}

export interface WebServer {
  readonly url: string
  readonly port: number
}

/** Largest webhook body accepted (a chat message plus rich `extra`). */
export const maxBodyBytes = 1024 * 1024

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  })
  res.end(text)
}

const bearerMatches = (header: string | undefined, secret: Redacted.Redacted<string>): boolean => {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? "")
  if (m === null) return false
  const given = Buffer.from(m[1]!.trim())
  const expected = Buffer.from(Redacted.value(secret))
  return given.length === expected.length && timingSafeEqual(given, expected)
}

const readBody = (req: IncomingMessage): Promise<Buffer | "tooLarge"> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on("data", (c: Buffer) => {
      size += c.length
      // Past the limit the rest is read and discarded, so the client can read the 413.
      if (size > maxBodyBytes) resolve("tooLarge")
      else chunks.push(c)
    })
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })

/**
 * stormbot's HTTP server: `POST /chatops/message` (err-stackstorm's webhook, but authenticated
 * with a bearer secret and validated with clear 4xx answers) and `GET /health`. Listens while
 * the scope is open; closing it stops accepting and closes open connections.
 */
export const makeWebServer = (options: WebServerOptions): Effect.Effect<WebServer, Error, Scope.Scope> =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<never>()
    const run = Runtime.runPromise(runtime)

    const handle = async (req: IncomingMessage, res: ServerResponse) => {
      const path = new URL(req.url ?? "/", "http://localhost").pathname.replace(/\/+$/, "") || "/"
      if (path === "/health") {
        if (req.method !== "GET") return json(res, 405, { error: "use GET" }, { Allow: "GET" })
        return json(res, 200, options.health())
      }
      if (path !== "/chatops/message") return json(res, 404, { error: `no such path: ${path}` })
      if (req.method !== "POST") return json(res, 405, { error: "use POST" }, { Allow: "POST" })
      if (!bearerMatches(req.headers.authorization, options.webhookSecret)) {
        return json(
          res,
          401,
          { error: "missing or wrong bearer secret: send `Authorization: Bearer <web.webhook_secret>`" },
          { "WWW-Authenticate": 'Bearer realm="stormbot"' },
        )
      }
      if (!/^application\/json\b/i.test(req.headers["content-type"] ?? "")) {
        return json(res, 415, { error: "send the message as JSON (Content-Type: application/json)" })
      }
      const raw = await readBody(req)
      if (raw === "tooLarge") {
        return json(
          res,
          413,
          { error: `the body is larger than ${maxBodyBytes} bytes` },
          { Connection: "close" },
        )
      }
      let body: unknown
      try {
        body = JSON.parse(raw.toString("utf8"))
      } catch (e) {
        return json(res, 400, { error: `the body is not valid JSON: ${(e as Error).message}` })
      }
      const decoded = decodeWebhookMessage(body)
      if (Either.isLeft(decoded))
        return json(res, 400, { error: decoded.left.message, problems: decoded.left.problems })
      const outcome = await run(options.deliver(decoded.right))
      return outcome.queued
        ? json(res, 202, { status: "queued" })
        : json(res, 422, { error: `not delivered: ${outcome.reason ?? "no chat backend can take it"}` })
    }

    const server = createServer((req, res) => {
      handle(req, res).catch((e: unknown) => {
        run(Effect.logError("webhook request failed", e)).catch(() => {})
        if (!res.headersSent) json(res, 500, { error: "internal error; see stormbot's log" })
        else res.destroy()
      })
    })
    yield* Effect.acquireRelease(
      Effect.async<void, Error>((resume) => {
        server.once("error", (e) => resume(Effect.fail(e)))
        server.listen(options.port, options.host, () => resume(Effect.void))
      }),
      () =>
        Effect.async<void>((resume) => {
          server.close(() => resume(Effect.void))
          server.closeAllConnections()
        }),
    )
    const port = (server.address() as AddressInfo).port
    const host = options.host.includes(":") ? `[${options.host}]` : options.host
    yield* Effect.logInfo(
      `web server listening on http://${host}:${port} (POST /chatops/message, GET /health)`,
    )
    return { url: `http://${host}:${port}`, port }
  })
