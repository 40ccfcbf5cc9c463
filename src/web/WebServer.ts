import { createHash, timingSafeEqual } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import net, { type AddressInfo } from "node:net"
import { Effect, Either, Redacted, Runtime, type Scope } from "effect"
import type { ChatDelivery } from "../chat/ChatDelivery.ts"
import { decodeWebhookMessage } from "../chat/WebhookMessage.ts"

export interface WebServerOptions {
  readonly host: string
  /** 0 picks a free port. */
  readonly port: number
  /**
   * The bearer secret `POST /chatops/message` requires, and `GET /health` too unless the server
   * listens on a loopback address only.
   */
  readonly webhookSecret: Redacted.Redacted<string>
  /** Hands a validated webhook message to chat; answers what happened. */
  readonly deliver: (
    delivery: ChatDelivery,
  ) => Effect.Effect<{ readonly queued: boolean; readonly reason?: string }>
  /** Body of `GET /health`. */
  readonly health: () => Record<string, unknown>
  /** Largest request body read, on every route (`limits.max_request_bytes`; default 1 MiB). */
  readonly maxRequestBytes?: number | undefined
  /** The request line and headers must arrive within this (default 10 s), else 408 and close. */
  readonly headersTimeoutMs?: number | undefined
  /** The whole request, body included, must arrive within this (default 30 s), else 408 and close. */
  readonly requestTimeoutMs?: number | undefined
  /** How often Node checks those two deadlines (default 1 s; tests make it shorter). */
  readonly timeoutCheckIntervalMs?: number | undefined
  /**
   * Whether `GET /health` needs the secret. Default: unless the address bound is loopback (then
   * only this machine reaches it); `true` for a server reached through a local reverse proxy.
   */
  readonly healthRequiresSecret?: boolean | undefined
}

export interface WebServer {
  readonly url: string
  readonly port: number
  /** Whether `GET /health` is open without the secret (the server listens on loopback only). */
  readonly healthOpen: boolean
}

/** `limits.max_request_bytes`' default: a chat message plus rich `extra`, with room to spare. */
export const DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024
/** A client sends its request line and headers in well under this, even over a slow link. */
export const HEADERS_TIMEOUT_MS = 10_000
/** A whole request (at most `max_request_bytes`) arrives well within this. */
export const REQUEST_TIMEOUT_MS = 30_000

/** The request has a body not read to its end. */
const bodyLeft = (req: IncomingMessage): boolean =>
  !req.complete &&
  (req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0)

const json = (
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    // A body left unread (an early answer, a refused one) is not read on: the connection closes
    // once the answer is out, instead of Node reading and discarding whatever the client sends.
    ...(bodyLeft(req) ? { Connection: "close" } : {}),
    ...headers,
  })
  res.end(text)
}

const sha256 = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest()

/**
 * `Authorization: Bearer <secret>`, compared in constant time, length included: both sides are
 * hashed to 32 bytes first, so neither the secret's bytes nor its length leak through timing.
 */
const bearerMatches = (header: string | undefined, secret: Redacted.Redacted<string>): boolean => {
  const m = /^Bearer[ \t]+(.+)$/i.exec(header ?? "")
  if (m === null) return false
  return timingSafeEqual(sha256(m[1]!.trim()), sha256(Redacted.value(secret)))
}

/** 127.0.0.0/8, ::1, and IPv4-mapped 127.x: reachable from this machine only. */
export const isLoopbackAddress = (address: string): boolean => {
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address
  if (net.isIPv4(v4)) return v4.startsWith("127.")
  return address === "::1"
}

/**
 * The body, at most `limit` bytes: the bytes, `"tooLarge"` as soon as it passes the limit (what
 * came so far is dropped and reading stops), or `"aborted"` when the client went away (or a
 * request timeout cut it).
 */
const readBody = (req: IncomingMessage, limit: number): Promise<Buffer | "tooLarge" | "aborted"> =>
  new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (c: Buffer) => {
      size += c.length
      if (size <= limit) return void chunks.push(c)
      chunks.length = 0
      req.off("data", onData)
      req.pause()
      resolve("tooLarge")
    }
    req.on("data", onData)
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", () => resolve("aborted"))
    req.on("close", () => resolve("aborted"))
  })

const unauthorized = (req: IncomingMessage, res: ServerResponse) =>
  json(
    req,
    res,
    401,
    { error: "missing or wrong bearer secret: send `Authorization: Bearer <web.webhook_secret>`" },
    { "WWW-Authenticate": 'Bearer realm="stormbot"' },
  )

/**
 * stormbot's HTTP server: `POST /chatops/message` (err-stackstorm's webhook, but authenticated
 * with a bearer secret and validated with clear 4xx answers) and `GET /health` (the secret too,
 * unless the server listens on loopback only). Every request is bounded: its body by
 * `maxRequestBytes` (413 on every route, a declared `Content-Length` over it refused unread), its
 * headers and the whole request by timeouts (408 and close: a slow client cannot hold a
 * connection). Listens while the scope is open; closing it stops accepting and closes open
 * connections.
 */
export const makeWebServer = (options: WebServerOptions): Effect.Effect<WebServer, Error, Scope.Scope> =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<never>()
    const run = Runtime.runPromise(runtime)
    const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES
    const tooLarge = {
      error: `the request body is larger than ${maxRequestBytes} bytes (limits.max_request_bytes)`,
    }
    // Set once listening: the address actually bound decides, not the name configured.
    let healthOpen = false

    const handle = async (req: IncomingMessage, res: ServerResponse) => {
      const declared = req.headers["content-length"]
      if (declared !== undefined && Number(declared) > maxRequestBytes) return json(req, res, 413, tooLarge)
      const path = new URL(req.url ?? "/", "http://localhost").pathname.replace(/\/+$/, "") || "/"
      if (path === "/health") {
        if (req.method !== "GET") return json(req, res, 405, { error: "use GET" }, { Allow: "GET" })
        if (!healthOpen && !bearerMatches(req.headers.authorization, options.webhookSecret))
          return unauthorized(req, res)
        return json(req, res, 200, options.health())
      }
      if (path !== "/chatops/message") return json(req, res, 404, { error: `no such path: ${path}` })
      if (req.method !== "POST") return json(req, res, 405, { error: "use POST" }, { Allow: "POST" })
      if (!bearerMatches(req.headers.authorization, options.webhookSecret)) return unauthorized(req, res)
      if (!/^application\/json\b/i.test(req.headers["content-type"] ?? "")) {
        return json(req, res, 415, { error: "send the message as JSON (Content-Type: application/json)" })
      }
      const raw = await readBody(req, maxRequestBytes)
      if (raw === "aborted") return
      if (raw === "tooLarge") return json(req, res, 413, tooLarge)
      let body: unknown
      try {
        body = JSON.parse(raw.toString("utf8"))
      } catch (e) {
        return json(req, res, 400, { error: `the body is not valid JSON: ${(e as Error).message}` })
      }
      const decoded = decodeWebhookMessage(body)
      if (Either.isLeft(decoded))
        return json(req, res, 400, { error: decoded.left.message, problems: decoded.left.problems })
      const outcome = await run(options.deliver(decoded.right))
      return outcome.queued
        ? json(req, res, 202, { status: "queued" })
        : json(req, res, 422, { error: `not delivered: ${outcome.reason ?? "no chat backend can take it"}` })
    }

    const server = createServer(
      {
        headersTimeout: options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS,
        requestTimeout: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
        connectionsCheckingInterval: options.timeoutCheckIntervalMs ?? 1_000,
      },
      (req, res) => {
        handle(req, res).catch((e: unknown) => {
          run(Effect.logError("webhook request failed", e)).catch(() => {})
          if (!res.headersSent) json(req, res, 500, { error: "internal error; see stormbot's log" })
          else res.destroy()
        })
      },
    )
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
    const address = server.address() as AddressInfo
    healthOpen =
      options.healthRequiresSecret === undefined
        ? isLoopbackAddress(address.address)
        : !options.healthRequiresSecret
    const port = address.port
    const host = options.host.includes(":") ? `[${options.host}]` : options.host
    yield* Effect.logInfo(
      `web server listening on http://${host}:${port} (POST /chatops/message, GET /health${healthOpen ? "" : " with the webhook secret"})`,
    )
    return { url: `http://${host}:${port}`, port, healthOpen }
  })
