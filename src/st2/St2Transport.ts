import http, { type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http"
import https from "node:https"
import { clientClosedError, IDLE_CONNECTION_MS, makeRawHttpPool } from "./RawHttpPool.ts"

/** TLS choices of one client; they apply to its own connections only, never to the process. */
export interface St2Tls {
  readonly rejectUnauthorized: boolean
  readonly ca?: string | undefined
  readonly cert?: string | undefined
  readonly key?: string | undefined
}

export interface St2TransportOptions {
  /**
   * Connections open at once, all origins together, for `exchange` and (separately) for `send`;
   * more requests wait their turn. A client uses one or the other: its calls `exchange`, the
   * stream's own transport `send`.
   */
  readonly maxSockets?: number | undefined
  /**
   * Longest silence on a request's socket (connect, headers, body) before it fails with
   * `ETIMEDOUT`. 0 or absent: none (requests have their own overall timer; the stream machine
   * owns the stream's liveness).
   */
  readonly idleTimeoutMs?: number | undefined
  /**
   * Largest answer body `exchange` reads (`limits.max_response_bytes`; default 16 MiB): a larger
   * one fails with `ST2_RESPONSE_TOO_LARGE` and its connection is destroyed. `send` hands the
   * body to its caller, which bounds what it reads (the stream does).
   */
  readonly maxResponseBytes?: number | undefined
}

/** What a request sends; `body` is the whole body, sent with its `Content-Length`. */
export interface St2Send {
  readonly method: string
  readonly headers: OutgoingHttpHeaders
  readonly body?: string | undefined
}

/**
 * Deadlines of one `send` (the stream's request), from its start; 0 or absent: none.
 * - `connectMs`: the connection (TCP, and TLS for https) made and the request written to it;
 *   else the request fails with `ST2_CONNECT_TIMEOUT`.
 * - `headersMs`: the answer's status line and headers arrived; else `ST2_HEADERS_TIMEOUT`.
 * Both failures carry `timeoutMs`; the request and its socket are destroyed.
 */
export interface St2SendTimeouts {
  readonly connectMs?: number | undefined
  readonly headersMs?: number | undefined
}

export const CONNECT_TIMEOUT = "ST2_CONNECT_TIMEOUT"
export const HEADERS_TIMEOUT = "ST2_HEADERS_TIMEOUT"

/** A `send` deadline that passed: which one, and how long it was. */
export interface SendTimeoutError extends Error {
  readonly code: typeof CONNECT_TIMEOUT | typeof HEADERS_TIMEOUT
  readonly timeoutMs: number
}

export const isSendTimeout = (e: unknown): e is SendTimeoutError =>
  e instanceof Error &&
  ((e as { code?: unknown }).code === CONNECT_TIMEOUT || (e as { code?: unknown }).code === HEADERS_TIMEOUT)

/**
 * Callbacks of one exchange. `onResponse` is called once, when the status and headers arrived;
 * the caller then reads the body (listeners attached synchronously see all of it).
 * `onError` gets every failure of the exchange, before and after the response (a refused
 * connection, TLS, a reset, a response cut short, the transport closed); it may be called more
 * than once, and after `onResponse`.
 */
export interface St2Exchange {
  readonly onResponse: (res: IncomingMessage) => void
  readonly onError: (error: Error) => void
}

/** A whole answer: status, headers (names lower-cased, repeated ones joined with ", "), body text. */
export interface St2RawAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/**
 * Callbacks of one whole-body exchange: exactly one of them is called, once, unless the exchange
 * was aborted first (then none is). `onError` gets every failure (a refused connection, TLS, a
 * reset, an answer cut short, the transport closed).
 */
export interface St2Call {
  readonly onAnswer: (answer: St2RawAnswer) => void
  readonly onError: (error: Error) => void
}

/**
 * The HTTP connections of one st2 client, with keep-alive, a bounded pool and the client's TLS
 * options: `exchange` (every call) over raw sockets (`RawHttpPool`: about half the CPU per request
 * of `node:http`), `send` (the stream, which reads its answer as it comes) over `node:http`/
 * `node:https` agents. Not undici: importing it costs ~20 MB of RSS.
 */
export interface St2Transport {
  /**
   * Starts a request (now, or when a connection of the pool is free). Returns `abort`, which
   * destroys the request and its socket, or drops it from the queue; after `abort` no callback
   * is due (one already scheduled may still run: callers ignore what comes after they settled).
   * `timeouts` bound the connection and the wait for the answer's headers (not its body).
   */
  readonly send: (url: URL, request: St2Send, exchange: St2Exchange, timeouts?: St2SendTimeouts) => () => void
  /**
   * A request whose whole answer is wanted (every call but the stream), sent over raw sockets
   * (`RawHttpPool`: its own pool of `maxSockets` and queue, the same TLS options); `abort` as
   * `send`'s; the answer's body is read as UTF-8 text.
   */
  readonly exchange: (url: URL, request: St2Send, call: St2Call) => () => void
  /** Refuses new requests, waits for those started or queued, then closes idle connections. */
  readonly close: () => Promise<void>
  /** Refuses new requests, fails queued and running ones (`ST2_CLIENT_CLOSED`), closes every socket. */
  readonly destroy: () => Promise<void>
}

/**
 * 32 connections per client: a 2,000-command burst must not open 2,000 sockets to st2, and 16 to
 * 32 connections cost the client ~25% less CPU than one per request (measured against the
 * sandbox), while st2api (gunicorn/eventlet behind nginx) serves that many concurrently.
 */
export const DEFAULT_MAX_SOCKETS = 32

/**
 * `cause` of a failed request: the socket error's code and message (`ECONNREFUSED: connect
 * ECONNREFUSED 127.0.0.1:9101`), never a URL or a header.
 */
export const socketErrorCause = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error)
  const inner = error.cause instanceof Error ? error.cause : error
  const code = "code" in inner && typeof inner.code === "string" ? `${inner.code}: ` : ""
  return `${code}${inner.message}`
}

interface Queued {
  cancelled: boolean
  readonly start: () => void
  readonly fail: (error: Error) => void
}

export const makeSt2Transport = (tls: St2Tls, options: St2TransportOptions = {}): St2Transport => {
  const maxSockets = options.maxSockets ?? DEFAULT_MAX_SOCKETS
  const idleTimeoutMs = options.idleTimeoutMs ?? 0
  const common = { keepAlive: true, maxSockets, timeout: IDLE_CONNECTION_MS, scheduling: "lifo" } as const
  const raw = makeRawHttpPool(tls, { maxSockets, idleTimeoutMs, maxBodyBytes: options.maxResponseBytes })
  // One agent per scheme, made on first use; the TLS options live on the https agent only.
  let httpAgent: http.Agent | undefined
  let httpsAgent: https.Agent | undefined
  const agentFor = (url: URL): http.Agent => {
    if (url.protocol !== "https:") {
      httpAgent ??= new http.Agent(common)
      return httpAgent
    }
    httpsAgent ??= new https.Agent({
      ...common,
      rejectUnauthorized: tls.rejectUnauthorized,
      ...(tls.ca === undefined ? {} : { ca: tls.ca }),
      ...(tls.cert === undefined ? {} : { cert: tls.cert }),
      ...(tls.key === undefined ? {} : { key: tls.key }),
    })
    return httpsAgent
  }

  // The pool's bound is kept here rather than by the agents' own queues: a request aborted while
  // waiting leaves at once (the agent would keep it until a socket frees, and open new sockets for
  // it after `destroy`). The agents' `maxSockets` only covers the tick between a request's end
  // and its socket's return to the pool.
  const running = new Set<ClientRequest>()
  const waiting: Array<Queued> = []
  let closing = false
  let drained: (() => void) | undefined

  const next = () => {
    while (running.size < maxSockets && waiting.length > 0) {
      const q = waiting.shift()
      if (q !== undefined && !q.cancelled) q.start()
    }
    if (running.size === 0 && waiting.length === 0) drained?.()
  }

  const send: St2Transport["send"] = (url, request, exchange, timeouts = {}) => {
    if (closing) {
      let aborted = false
      queueMicrotask(() => {
        if (!aborted) exchange.onError(clientClosedError())
      })
      return () => {
        aborted = true
      }
    }
    let req: ClientRequest | undefined
    // Headers as a list, Host included: Node then writes them as given (still validating each)
    // instead of a setHeader call per header, and the options skip URL → options conversion.
    // Both showed per request in profiles.
    const headers: Array<[string, string]> = [["Host", url.host]]
    for (const [name, value] of Object.entries(request.headers))
      if (value !== undefined) headers.push([name, String(value)])
    if (request.body !== undefined) headers.push(["Content-Length", String(Buffer.byteLength(request.body))])
    const start = () => {
      let r: ClientRequest
      try {
        r = (url.protocol === "https:" ? https : http).request({
          protocol: url.protocol,
          hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
          port: url.port === "" ? undefined : Number(url.port),
          path: `${url.pathname}${url.search}`,
          method: request.method,
          headers: headers as unknown as OutgoingHttpHeaders,
          agent: agentFor(url),
        })
      } catch (e) {
        // A header value Node refuses (a control character), an unsupported scheme...
        const error = e instanceof Error ? e : new Error(String(e))
        queueMicrotask(() => {
          if (!queued.cancelled) exchange.onError(error)
          next()
        })
        return
      }
      req = r
      running.add(r)
      // Deadlines as plain timers, cleared by the event each waits for (or the end of the request).
      const deadline = (ms: number | undefined, code: SendTimeoutError["code"], message: string) =>
        ms === undefined || ms <= 0
          ? undefined
          : setTimeout(() => r.destroy(Object.assign(new Error(message), { code, timeoutMs: ms })), ms)
      const connectTimer = deadline(
        timeouts.connectMs,
        CONNECT_TIMEOUT,
        `could not connect to StackStorm within ${timeouts.connectMs} ms`,
      )
      const headersTimer = deadline(
        timeouts.headersMs,
        HEADERS_TIMEOUT,
        `StackStorm sent no answer headers within ${timeouts.headersMs} ms`,
      )
      // 'finish': the request was handed to the connected socket (after the TLS handshake, for https).
      if (connectTimer !== undefined) r.once("finish", () => clearTimeout(connectTimer))
      r.once("close", () => {
        clearTimeout(connectTimer)
        clearTimeout(headersTimer)
        running.delete(r)
        next()
      })
      r.on("error", exchange.onError)
      r.once("response", (res) => {
        clearTimeout(connectTimer)
        clearTimeout(headersTimer)
        res.on("error", exchange.onError)
        exchange.onResponse(res)
      })
      if (idleTimeoutMs > 0)
        r.setTimeout(idleTimeoutMs, () =>
          r.destroy(
            Object.assign(new Error(`no data from StackStorm for ${idleTimeoutMs} ms`), {
              code: "ETIMEDOUT",
            }),
          ),
        )
      r.end(request.body)
    }
    const queued: Queued = { cancelled: false, start, fail: exchange.onError }
    if (running.size < maxSockets) start()
    else waiting.push(queued)
    return () => {
      queued.cancelled = true
      req?.destroy()
    }
  }

  const destroyAgents = () => {
    httpAgent?.destroy()
    httpsAgent?.destroy()
  }

  const closeSend = (): Promise<void> => {
    closing = true
    if (running.size === 0 && waiting.every((q) => q.cancelled)) {
      destroyAgents()
      return Promise.resolve()
    }
    return new Promise<void>((resolve) => {
      drained = () => {
        drained = undefined
        destroyAgents()
        resolve()
      }
    })
  }

  const destroySend = (): void => {
    closing = true
    for (const q of waiting.splice(0)) if (!q.cancelled) q.fail(clientClosedError())
    for (const r of running) r.destroy(clientClosedError())
    destroyAgents()
    drained?.()
  }

  return {
    send,
    exchange: raw.exchange,
    close: () => Promise.all([closeSend(), raw.close()]).then(() => undefined),
    destroy: () => {
      destroySend()
      return raw.destroy()
    },
  }
}
