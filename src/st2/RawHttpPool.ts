import net from "node:net"
import tls from "node:tls"
import type { St2Call, St2RawAnswer, St2Send, St2Tls } from "./St2Transport.ts"

/**
 * Whole-body HTTP/1.1 exchanges over raw `node:net`/`node:tls` sockets, with keep-alive and a
 * bounded pool. It exists for CPU: one command is one `POST /api/v1/aliasexecution`, and
 * `node:http` (ClientRequest, IncomingMessage, their streams and events) costs about twice the
 * CPU of a preformatted request written in one go and an answer parsed from the socket's buffers.
 *
 * What it speaks: one request per connection at a time (never pipelined); answers framed by
 * `Content-Length`, `Transfer-Encoding: chunked` (extensions and trailers skipped) or the end of
 * the connection; 1xx interim answers skipped; no body for HEAD, 204 and 304. No automatic retry
 * (a POST may have run): a connection closed before the answer fails the exchange.
 *
 * Bounded: a head over 64 KiB, and a body over `maxBodyBytes` (a declared `Content-Length` before
 * any of it is read; a chunked or close-delimited body as soon as it passes the limit), fail the
 * exchange and destroy the connection, so a hostile or broken server cannot make it buffer more.
 */
export interface RawHttpPool {
  /**
   * Sends `request` to `url` (now, or when the pool has room: first come, first served) and calls
   * exactly one of `call.onAnswer`/`call.onError`, once, never synchronously, and none after the
   * returned `abort` (which destroys the request's connection, or drops it from the queue).
   */
  readonly exchange: (url: URL, request: St2Send, call: St2Call) => () => void
  /** Refuses new exchanges, waits for those running or queued, then closes idle connections. */
  readonly close: () => Promise<void>
  /** Refuses new exchanges, fails running and queued ones (`ST2_CLIENT_CLOSED`), closes every connection. */
  readonly destroy: () => Promise<void>
}

export interface RawHttpPoolOptions {
  /** Connections open at once, all origins together; more exchanges wait in a FIFO queue. */
  readonly maxSockets: number
  /** Longest silence on a running exchange's connection before it fails with `ETIMEDOUT`; 0: none. */
  readonly idleTimeoutMs: number
  /**
   * Largest body read (chunk framing included), default `DEFAULT_MAX_RESPONSE_BYTES`; a larger
   * one fails with a `ResponseTooLargeError` (`ST2_RESPONSE_TOO_LARGE`).
   */
  readonly maxBodyBytes?: number | undefined
}

/** `limits.max_response_bytes`' default: 16 MiB, far above any answer st2 gives a bot. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024

/** `code` of the failure of an answer over the body limit. */
export const RESPONSE_TOO_LARGE = "ST2_RESPONSE_TOO_LARGE"

/** An answer over the limit: what `St2Http` turns into `St2ResponseTooLarge`. No byte of the body. */
export interface ResponseTooLargeError extends Error {
  readonly code: typeof RESPONSE_TOO_LARGE
  readonly limitBytes: number
  readonly status: number
  /** The `Content-Length` that was refused before reading, when there was one. */
  readonly declaredBytes: number | undefined
  /** The answer's `X-Request-ID`. */
  readonly requestId: string | undefined
}

export const isResponseTooLarge = (e: unknown): e is ResponseTooLargeError =>
  e instanceof Error && (e as { code?: unknown }).code === RESPONSE_TOO_LARGE

/** The failure of every exchange refused or cut by a closed pool. */
export const clientClosedError = (): Error =>
  Object.assign(new Error("the StackStorm client is closed (stormbot is stopping)"), {
    code: "ST2_CLIENT_CLOSED",
  })

/**
 * How long an idle keep-alive connection is kept (undici's default). A server's
 * `Keep-Alive: timeout=n` hint shortens it to n - 1 s, so a request never races the server's own
 * close of an idle connection.
 */
export const IDLE_CONNECTION_MS = 4_000

/** Longest status line + header block (and trailer block) accepted: a bigger one is refused, not buffered. */
const MAX_HEADER_BYTES = 64 * 1024

/** Longest chunk-size line (size and extensions). */
const MAX_CHUNK_LINE_BYTES = 4096

/** 1xx interim answers skipped before one exchange's answer; more is a server talking in circles. */
const MAX_INTERIM_ANSWERS = 16

const errorWithCode = (message: string, code: string): Error => Object.assign(new Error(message), { code })

const malformed = (detail: string): Error =>
  errorWithCode(`malformed HTTP answer from StackStorm: ${detail}`, "HPE_INVALID_RESPONSE")

/** RFC 9110 token (method, header name): what Node's `ERR_INVALID_HTTP_TOKEN` checks. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** What Node's `ERR_INVALID_CHAR` refuses in a header value: CR, LF, NUL and other controls but tab. */
const INVALID_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/
/** Anything outside printable ASCII: such a head is sent as latin1 bytes, as `node:http` does. */
const NON_ASCII = /[^\t\x20-\x7e]/
/** Header names the pool writes itself; the caller's are ignored. */
const OWN_HEADER = /^(?:host|content-length|connection|transfer-encoding)$/i
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: [^\r\n]*)?$/
const CONTENT_LENGTH = /^\d{1,15}$/
const CHUNK_SIZE = /^[0-9A-Fa-f]{1,12}$/
const CRLF = Buffer.from("\r\n")
const CRLFCRLF = Buffer.from("\r\n\r\n")

/** Where an exchange is. */
const QUEUED = 0
const RUNNING = 1
const DONE = 2

/** What the parser of a connection expects next. */
const HEAD = 0
const LENGTH_BODY = 1
const CHUNK_SIZE_LINE = 2
const CHUNK_DATA = 3
const CHUNK_DATA_END = 4
const TRAILERS = 5
const UNTIL_CLOSE = 6

/** One scheme + host + port: its idle connections and what opening one needs. */
interface Origin {
  readonly key: string
  readonly secure: boolean
  readonly host: string
  readonly port: number
  /** SNI name; absent for IP literals (SNI carries host names only). */
  readonly servername: string | undefined
  /** Idle connections, most recently used last (taken LIFO: warm ones are reused, cold ones time out). */
  readonly idle: Array<Conn>
  /** The latest TLS session, offered when opening the next connection (resumption saves a handshake). */
  session: Buffer | undefined
}

class Exchange {
  state = QUEUED
  /** Next in the FIFO queue. */
  next: Exchange | undefined = undefined
  conn: Conn | undefined = undefined
  readonly origin: Origin
  /** The whole request (head and body), written with one socket write. */
  readonly payload: string | Buffer
  readonly isHead: boolean
  readonly call: St2Call
  constructor(origin: Origin, payload: string | Buffer, isHead: boolean, call: St2Call) {
    this.origin = origin
    this.payload = payload
    this.isHead = isHead
    this.call = call
  }
}

class Conn {
  readonly socket: net.Socket
  readonly origin: Origin
  /** The running exchange; undefined while idle. */
  ex: Exchange | undefined = undefined
  /** Destroyed and no longer counted: its events are ignored. */
  dead = false
  /** Whether the socket is in `origin.idle` (unref'd, on its keep-alive timer). */
  idle = false
  /** The socket's current `setTimeout`, to skip re-arming it with the same value. */
  timeoutMs = 0
  /** Keep-alive of this connection once idle (the server's hint may shorten it). */
  keepAliveMs = IDLE_CONNECTION_MS
  // The parse of the running exchange's answer.
  phase = HEAD
  /** Bytes received but not yet consumed (a head, chunk line or trailer split across reads). */
  pending: Buffer | undefined = undefined
  /** Offset in `pending` from which the end of the head is still to be searched. */
  scanFrom = 0
  /** Any byte of the answer arrived (a close before that is "closed before answering"). */
  gotBytes = false
  status = 0
  headers: Record<string, string> = {}
  /** Bytes left of the body (LENGTH_BODY) or of the current chunk (CHUNK_DATA). */
  remaining = 0
  /** Bytes read in the trailer block so far. */
  trailerBytes = 0
  /** Bytes of the body read so far, chunk framing included (bounded by the pool's `maxBodyBytes`). */
  bodyBytes = 0
  /** 1xx answers skipped so far. */
  interim = 0
  reusable = false
  /** The body's first piece, and all of them once there are several (decoded together at the end). */
  first: Buffer | undefined = undefined
  parts: Array<Buffer> | undefined = undefined
  constructor(socket: net.Socket, origin: Origin) {
    this.socket = socket
    this.origin = origin
  }

  reset(): void {
    this.phase = HEAD
    this.pending = undefined
    this.scanFrom = 0
    this.gotBytes = false
    this.status = 0
    this.first = undefined
    this.parts = undefined
    this.trailerBytes = 0
    this.bodyBytes = 0
    this.interim = 0
  }

  addBody(piece: Buffer): void {
    if (piece.length === 0) return
    if (this.first === undefined) this.first = piece
    else if (this.parts === undefined) this.parts = [this.first, piece]
    else this.parts.push(piece)
  }

  /** The body as text: decoded once, whole, so a character split between reads stays whole. */
  bodyText(): string {
    if (this.parts !== undefined) return Buffer.concat(this.parts).toString("utf8")
    return this.first === undefined ? "" : this.first.toString("utf8")
  }
}

/** What parsing the bytes at hand came to. */
const NEED_MORE = 0
const COMPLETE = 1

/**
 * The request as one string (or latin1+UTF-8 bytes when a header carries non-ASCII), or the
 * error that refuses it: a method or header name that is not a token, a value with CR, LF, NUL
 * or another control character (credentials travel in headers: no header can smuggle another).
 */
const formatRequest = (url: URL, request: St2Send): string | Buffer | Error => {
  if (!TOKEN.test(request.method))
    return errorWithCode(
      `HTTP method must be a valid token [${JSON.stringify(request.method)}]`,
      "ERR_INVALID_HTTP_TOKEN",
    )
  // A WHATWG URL's pathname and search are already percent-encoded: no space, CR or LF in them.
  let head = `${request.method} ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`
  const headers = request.headers
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined) continue
    if (!TOKEN.test(name))
      return errorWithCode(
        `Header name must be a valid HTTP token [${JSON.stringify(name)}]`,
        "ERR_INVALID_HTTP_TOKEN",
      )
    if (OWN_HEADER.test(name)) continue
    if (typeof value === "object") {
      for (const v of value) {
        if (INVALID_VALUE_CHAR.test(v)) return invalidChar(name)
        head += `${name}: ${v}\r\n`
      }
    } else {
      const v = typeof value === "string" ? value : String(value)
      if (INVALID_VALUE_CHAR.test(v)) return invalidChar(name)
      head += `${name}: ${v}\r\n`
    }
  }
  const body = request.body
  if (body !== undefined) head += `Content-Length: ${Buffer.byteLength(body)}\r\n`
  head += "Connection: keep-alive\r\n\r\n"
  if (!NON_ASCII.test(head)) return body === undefined ? head : head + body
  const bytes = Buffer.from(head, "latin1")
  return body === undefined ? bytes : Buffer.concat([bytes, Buffer.from(body, "utf8")])
}

const tooLarge = (conn: Conn, limitBytes: number, declaredBytes?: number): ResponseTooLargeError =>
  Object.assign(
    new Error(
      declaredBytes === undefined
        ? `StackStorm's answer is larger than ${limitBytes} bytes`
        : `StackStorm's answer declares ${declaredBytes} bytes, more than ${limitBytes}`,
    ),
    {
      code: RESPONSE_TOO_LARGE,
      limitBytes,
      status: conn.status,
      declaredBytes,
      requestId: conn.headers["x-request-id"],
    } as const,
  )

const invalidChar = (name: string): Error =>
  errorWithCode(`Invalid character in header content [${JSON.stringify(name)}]`, "ERR_INVALID_CHAR")

/** Whether a comma-separated header value lists `token` (case-insensitive). */
const listsToken = (value: string | undefined, token: string): boolean => {
  if (value === undefined) return false
  for (const part of value.split(",")) if (part.trim().toLowerCase() === token) return true
  return false
}

/** `Keep-Alive: timeout=n` → n seconds, or undefined. */
const keepAliveHint = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined
  const m = /(?:^|[,;\s])timeout\s*=\s*(\d+)/i.exec(value)
  return m?.[1] === undefined ? undefined : Number(m[1])
}

/** What `parseHead` decided besides a body phase. */
const NO_BODY = -1
const INTERIM = -2

/**
 * Status line and headers of one answer (`text`: the head without its final CRLF CRLF, as latin1).
 * Sets the connection's status, headers, keep-alive and body framing; returns the next phase,
 * `NO_BODY`, `INTERIM` (a 1xx to skip) or why the head is refused.
 */
const parseHead = (conn: Conn, text: string, isHead: boolean, limit: number): number | Error => {
  const lines = text.split("\r\n")
  const m = STATUS_LINE.exec(lines[0] ?? "")
  if (m === null) return malformed("bad status line")
  const status = Number(m[2])
  if (status < 100) return malformed("bad status code")
  const headers: Record<string, string> = Object.create(null)
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? ""
    const colon = line.indexOf(":")
    if (colon <= 0) return malformed("bad header line")
    const name = line.slice(0, colon)
    if (!TOKEN.test(name)) return malformed("bad header name")
    const value = line.slice(colon + 1).trim()
    if (INVALID_VALUE_CHAR.test(value)) return malformed("control character in a header value")
    const lower = name.toLowerCase()
    const prev = headers[lower]
    headers[lower] = prev === undefined ? value : `${prev}, ${value}`
  }
  if (status < 200) {
    if (status === 101) return malformed("101 Switching Protocols, never asked for")
    return ++conn.interim > MAX_INTERIM_ANSWERS
      ? malformed(`more than ${MAX_INTERIM_ANSWERS} 1xx answers`)
      : INTERIM
  }
  conn.status = status
  conn.headers = headers
  const keepAlive =
    m[1] === "1" ? !listsToken(headers.connection, "close") : listsToken(headers.connection, "keep-alive")
  const hint = keepAliveHint(headers["keep-alive"])
  conn.keepAliveMs =
    hint === undefined ? IDLE_CONNECTION_MS : Math.min(IDLE_CONNECTION_MS, hint * 1000 - 1000)
  if (isHead || status === 204 || status === 304) {
    conn.reusable = keepAlive
    return NO_BODY
  }
  const te = headers["transfer-encoding"]
  if (te !== undefined) {
    // Chunked when it is the last coding; any other last coding is delimited by the close.
    const codings = te.split(",")
    if ((codings[codings.length - 1] ?? "").trim().toLowerCase() !== "chunked") {
      conn.reusable = false
      return UNTIL_CLOSE
    }
    // Content-Length next to Transfer-Encoding: framing by the latter, and no reuse (RFC 9112 6.3).
    conn.reusable = keepAlive && headers["content-length"] === undefined
    return CHUNK_SIZE_LINE
  }
  const cl = headers["content-length"]
  if (cl === undefined) {
    conn.reusable = false
    return UNTIL_CLOSE
  }
  let length: number
  if (cl.includes(",")) {
    // Repeated: acceptable only when every value is the same.
    const values = cl.split(",").map((v) => v.trim())
    if (values.some((v) => v !== values[0])) return malformed("conflicting Content-Length values")
    length = CONTENT_LENGTH.test(values[0] ?? "") ? Number(values[0]) : Number.NaN
  } else length = CONTENT_LENGTH.test(cl) ? Number(cl) : Number.NaN
  if (Number.isNaN(length)) return malformed("bad Content-Length")
  if (length > limit) return tooLarge(conn, limit, length)
  conn.reusable = keepAlive
  conn.remaining = length
  return length === 0 ? NO_BODY : LENGTH_BODY
}

/** Keeps `b` from `p` for the next read. */
const keep = (conn: Conn, b: Buffer, p: number): number => {
  conn.pending = p >= b.length ? undefined : p === 0 ? b : b.subarray(p)
  return NEED_MORE
}

/** The answer is complete at `p`; bytes after it were never asked for, so the connection is not reused. */
const complete = (conn: Conn, b: Buffer, p: number): number => {
  if (p < b.length) conn.reusable = false
  conn.pending = undefined
  return COMPLETE
}

/**
 * Consumes `b` (the unconsumed bytes of the answer) into the connection's parse: `NEED_MORE`,
 * `COMPLETE`, or why the answer is refused.
 */
const parse = (conn: Conn, b: Buffer, isHead: boolean, limit: number): number | Error => {
  let p = 0
  for (;;) {
    switch (conn.phase) {
      case HEAD: {
        const end = b.indexOf(CRLFCRLF, p + conn.scanFrom)
        if (end < 0) {
          if (b.length - p > MAX_HEADER_BYTES) return malformed(`header block over ${MAX_HEADER_BYTES} bytes`)
          conn.scanFrom = Math.max(0, b.length - p - 3)
          return keep(conn, b, p)
        }
        if (end + 4 - p > MAX_HEADER_BYTES) return malformed(`header block over ${MAX_HEADER_BYTES} bytes`)
        conn.scanFrom = 0
        const next = parseHead(conn, b.toString("latin1", p, end), isHead, limit)
        p = end + 4
        if (typeof next !== "number") return next
        if (next === INTERIM) continue
        if (next === NO_BODY) return complete(conn, b, p)
        conn.phase = next
        continue
      }
      case LENGTH_BODY: {
        const avail = b.length - p
        if (avail < conn.remaining) {
          conn.addBody(p === 0 ? b : b.subarray(p))
          conn.remaining -= avail
          return NEED_MORE
        }
        conn.addBody(b.subarray(p, p + conn.remaining))
        p += conn.remaining
        conn.remaining = 0
        return complete(conn, b, p)
      }
      case CHUNK_SIZE_LINE: {
        const end = b.indexOf(CRLF, p)
        if (end < 0 || end - p > MAX_CHUNK_LINE_BYTES) {
          if (end >= 0 || b.length - p > MAX_CHUNK_LINE_BYTES) return malformed("chunk-size line too long")
          return keep(conn, b, p)
        }
        const line = b.toString("latin1", p, end)
        conn.bodyBytes += end + 2 - p
        p = end + 2
        const semi = line.indexOf(";")
        const size = (semi < 0 ? line : line.slice(0, semi)).trim()
        if (!CHUNK_SIZE.test(size)) return malformed("bad chunk size")
        conn.remaining = Number.parseInt(size, 16)
        // A chunk that would take the body past the limit fails before any of it is read.
        if (conn.bodyBytes + conn.remaining > limit) return tooLarge(conn, limit)
        conn.phase = conn.remaining === 0 ? TRAILERS : CHUNK_DATA
        continue
      }
      case CHUNK_DATA: {
        const avail = b.length - p
        if (avail === 0) return keep(conn, b, p)
        const take = Math.min(avail, conn.remaining)
        conn.addBody(p === 0 && take === b.length ? b : b.subarray(p, p + take))
        conn.bodyBytes += take
        p += take
        conn.remaining -= take
        if (conn.remaining > 0) return keep(conn, b, p)
        conn.phase = CHUNK_DATA_END
        continue
      }
      case CHUNK_DATA_END: {
        if (b.length - p < 2) return keep(conn, b, p)
        if (b[p] !== 13 || b[p + 1] !== 10) return malformed("chunk data not followed by CRLF")
        conn.bodyBytes += 2
        p += 2
        conn.phase = CHUNK_SIZE_LINE
        continue
      }
      case TRAILERS: {
        // Trailer fields are read past, not kept (no caller wants them); an empty line ends them.
        const end = b.indexOf(CRLF, p)
        if (end < 0) {
          if (conn.trailerBytes + b.length - p > MAX_HEADER_BYTES) return malformed("trailers too long")
          return keep(conn, b, p)
        }
        conn.trailerBytes += end + 2 - p
        if (conn.trailerBytes > MAX_HEADER_BYTES) return malformed("trailers too long")
        const last = end === p
        p = end + 2
        if (last) return complete(conn, b, p)
        continue
      }
      default: {
        // UNTIL_CLOSE: everything until the server closes, up to the limit.
        conn.bodyBytes += b.length - p
        if (conn.bodyBytes > limit) return tooLarge(conn, limit)
        conn.addBody(p === 0 ? b : b.subarray(p))
        return NEED_MORE
      }
    }
  }
}

export const makeRawHttpPool = (tlsOptions: St2Tls, options: RawHttpPoolOptions): RawHttpPool => {
  const { maxSockets, idleTimeoutMs } = options
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_RESPONSE_BYTES
  const origins = new Map<string, Origin>()
  // One secure context for every connection of this pool: the CA, certificate and key are parsed
  // once, not per connection, and they are this pool's only (never the process's defaults).
  let secureContext: tls.SecureContext | undefined
  /** Connections counted against `maxSockets` (connecting, running or idle). */
  let open = 0
  let running = 0
  let queued = 0
  let queueHead: Exchange | undefined
  let queueTail: Exchange | undefined
  let closing = false
  let drained: (() => void) | undefined
  let closed: Promise<void> | undefined
  /** Every connection not yet discarded (for `destroy`). */
  const liveConns = new Set<Conn>()

  const originOf = (url: URL): Origin => {
    const key = `${url.protocol}//${url.host}`
    let origin = origins.get(key)
    if (origin === undefined) {
      const secure = url.protocol === "https:"
      const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname
      origin = {
        key,
        secure,
        host,
        port: url.port === "" ? (secure ? 443 : 80) : Number(url.port),
        servername: net.isIP(host) === 0 ? host : undefined,
        idle: [],
        session: undefined,
      }
      origins.set(key, origin)
    }
    return origin
  }

  const connect = (origin: Origin): Conn => {
    let socket: net.Socket
    if (origin.secure) {
      secureContext ??= tls.createSecureContext({
        ...(tlsOptions.ca === undefined ? {} : { ca: tlsOptions.ca }),
        ...(tlsOptions.cert === undefined ? {} : { cert: tlsOptions.cert }),
        ...(tlsOptions.key === undefined ? {} : { key: tlsOptions.key }),
      })
      socket = tls.connect({
        host: origin.host,
        port: origin.port,
        ...(origin.servername === undefined ? {} : { servername: origin.servername }),
        ...(origin.session === undefined ? {} : { session: origin.session }),
        rejectUnauthorized: tlsOptions.rejectUnauthorized,
        secureContext,
        ALPNProtocols: ["http/1.1"],
      })
    } else socket = net.connect({ host: origin.host, port: origin.port })
    socket.setNoDelay(true)
    const conn = new Conn(socket, origin)
    open++
    liveConns.add(conn)
    // Listeners per connection, not per exchange.
    socket.on("data", (chunk: Buffer) => onData(conn, chunk))
    socket.on("end", () => onEnd(conn))
    socket.on("close", () => onEnd(conn))
    socket.on("error", (error: Error) => onSocketError(conn, error))
    socket.on("timeout", () => onTimeout(conn))
    if (origin.secure)
      socket.on("session", (session: Buffer) => {
        origin.session = session
      })
    return conn
  }

  /** Destroys a connection and stops counting it (once). */
  const discard = (conn: Conn): void => {
    if (conn.dead) return
    conn.dead = true
    open--
    liveConns.delete(conn)
    if (conn.idle) {
      conn.idle = false
      const i = conn.origin.idle.indexOf(conn)
      if (i >= 0) conn.origin.idle.splice(i, 1)
    }
    conn.socket.destroy()
  }

  const setSocketTimeout = (conn: Conn, ms: number): void => {
    if (conn.timeoutMs === ms) return
    conn.timeoutMs = ms
    conn.socket.setTimeout(ms)
  }

  /**
   * Runs `ex` on `conn`: the whole request in one write. Without `idleTimeoutMs` the socket keeps
   * its keep-alive timeout while in use (`onTimeout` ignores it then, and the answer's bytes re-arm
   * it): no timer change per request.
   */
  const assign = (conn: Conn, ex: Exchange): void => {
    if (conn.idle) {
      conn.idle = false
      conn.socket.ref()
    }
    conn.ex = ex
    conn.reset()
    ex.conn = conn
    ex.state = RUNNING
    running++
    if (idleTimeoutMs > 0) setSocketTimeout(conn, idleTimeoutMs)
    conn.socket.write(ex.payload)
  }

  /** `ex` could not get a connection (TLS material Node refuses...): it fails, asynchronously. */
  const failToConnect = (ex: Exchange, error: Error): void => {
    ex.state = RUNNING
    running++
    queueMicrotask(() => {
      if (ex.state !== RUNNING) return
      ex.state = DONE
      running--
      pump()
      ex.call.onError(error)
    })
  }

  /** Starts `ex` if the pool has room: an idle connection of its origin, a new one, or one evicted elsewhere. */
  const tryStart = (ex: Exchange): boolean => {
    const origin = ex.origin
    const idle = origin.idle.pop()
    if (idle !== undefined) {
      assign(idle, ex)
      return true
    }
    if (open >= maxSockets) {
      // Full, and none idle here: an idle connection to another origin makes room.
      let evicted = false
      for (const other of origins.values()) {
        const victim = other.idle[0]
        if (victim !== undefined) {
          discard(victim)
          evicted = true
          break
        }
      }
      if (!evicted) return false
    }
    let conn: Conn
    try {
      conn = connect(origin)
    } catch (e) {
      failToConnect(ex, e instanceof Error ? e : new Error(String(e)))
      return true
    }
    assign(conn, ex)
    return true
  }

  const enqueue = (ex: Exchange): void => {
    queued++
    if (queueTail === undefined) queueHead = ex
    else queueTail.next = ex
    queueTail = ex
  }

  const dequeue = (): void => {
    const ex = queueHead
    if (ex === undefined) return
    queueHead = ex.next
    ex.next = undefined
    if (queueHead === undefined) queueTail = undefined
  }

  /** The first live exchange of the queue, aborted ones dropped. */
  const firstQueued = (): Exchange | undefined => {
    while (queueHead !== undefined && queueHead.state !== QUEUED) dequeue()
    return queueHead
  }

  /** Starts queued exchanges while there is room; resolves `close()` once nothing is left. */
  const pump = (): void => {
    for (let ex = firstQueued(); ex !== undefined; ex = firstQueued()) {
      queued--
      dequeue()
      if (!tryStart(ex)) {
        // Back at the head: it keeps its turn.
        queued++
        ex.next = queueHead
        queueHead = ex
        if (queueTail === undefined) queueTail = ex
        break
      }
    }
    if (closing && running === 0 && queued === 0) {
      for (const origin of origins.values()) for (const conn of origin.idle.slice()) discard(conn)
      drained?.()
    }
  }

  /** After a complete answer: the connection goes to the next exchange of its origin, idles, or closes. */
  const release = (conn: Conn): void => {
    if (!conn.reusable || conn.keepAliveMs <= 0) {
      discard(conn)
      pump()
      return
    }
    const next = firstQueued()
    if (next !== undefined && next.origin === conn.origin) {
      queued--
      dequeue()
      assign(conn, next)
      return
    }
    if (closing && next === undefined) {
      discard(conn)
      pump()
      return
    }
    // Idle: it must not keep the process alive, and it closes after its keep-alive.
    conn.idle = true
    conn.origin.idle.push(conn)
    conn.socket.unref()
    setSocketTimeout(conn, conn.keepAliveMs)
    pump()
  }

  /** Ends the running exchange of `conn` (its state first, then the pool, then the callback). */
  const finish = (conn: Conn): void => {
    const ex = conn.ex
    if (ex === undefined) return
    const answer: St2RawAnswer = { status: conn.status, headers: conn.headers, body: conn.bodyText() }
    conn.ex = undefined
    ex.conn = undefined
    ex.state = DONE
    running--
    conn.first = undefined
    conn.parts = undefined
    release(conn)
    ex.call.onAnswer(answer)
  }

  /** Fails the running exchange of `conn`, if any, and destroys the connection. */
  const fail = (conn: Conn, error: Error): void => {
    const ex = conn.ex
    conn.ex = undefined
    discard(conn)
    if (ex !== undefined) {
      ex.conn = undefined
      ex.state = DONE
      running--
    }
    pump()
    ex?.call.onError(error)
  }

  const onData = (conn: Conn, chunk: Buffer): void => {
    if (conn.dead) return
    if (conn.ex === undefined) {
      // Nothing was asked: a server talking out of turn cannot be trusted with the next request.
      discard(conn)
      pump()
      return
    }
    conn.gotBytes = true
    let bytes = chunk
    if (conn.pending !== undefined) {
      bytes = Buffer.concat([conn.pending, chunk])
      conn.pending = undefined
    }
    let outcome: number | Error
    try {
      outcome = parse(conn, bytes, conn.ex.isHead, maxBodyBytes)
    } catch (e) {
      outcome = e instanceof Error ? e : new Error(String(e))
    }
    if (outcome === NEED_MORE) return
    if (outcome === COMPLETE) finish(conn)
    else fail(conn, outcome as Error)
  }

  const onEnd = (conn: Conn): void => {
    if (conn.dead) return
    const ex = conn.ex
    if (ex === undefined) {
      discard(conn)
      pump()
      return
    }
    if (conn.phase === UNTIL_CLOSE) {
      conn.reusable = false
      finish(conn)
      return
    }
    fail(
      conn,
      conn.gotBytes
        ? errorWithCode("StackStorm closed the connection before the answer was complete", "ECONNRESET")
        : errorWithCode(
            "StackStorm closed the connection before answering (the request was not retried: it may have run)",
            "ECONNRESET",
          ),
    )
  }

  const onSocketError = (conn: Conn, error: Error): void => {
    if (conn.dead) return
    // A TLS session that led to an error is not offered again.
    if (conn.origin.secure) conn.origin.session = undefined
    if (conn.ex === undefined) {
      discard(conn)
      pump()
    } else fail(conn, error)
  }

  const onTimeout = (conn: Conn): void => {
    if (conn.dead) return
    if (conn.ex === undefined) {
      discard(conn)
      pump()
    } else if (idleTimeoutMs > 0)
      fail(conn, errorWithCode(`no data from StackStorm for ${idleTimeoutMs} ms`, "ETIMEDOUT"))
  }

  const exchange: RawHttpPool["exchange"] = (url, request, call) => {
    const payload = closing ? clientClosedError() : formatRequest(url, request)
    if (payload instanceof Error) {
      // Refused before anything is sent; still never synchronous, so `abort` can come first.
      let aborted = false
      queueMicrotask(() => {
        if (!aborted) call.onError(payload)
      })
      return () => {
        aborted = true
      }
    }
    const ex = new Exchange(originOf(url), payload, request.method === "HEAD", call)
    if (queueHead !== undefined || !tryStart(ex)) enqueue(ex)
    return () => abort(ex)
  }

  const abort = (ex: Exchange): void => {
    if (ex.state === QUEUED) {
      // Left in the list, skipped when its turn comes.
      ex.state = DONE
      queued--
      pump()
    } else if (ex.state === RUNNING) {
      const conn = ex.conn
      ex.state = DONE
      ex.conn = undefined
      running--
      if (conn !== undefined) {
        conn.ex = undefined
        discard(conn)
      }
      pump()
    }
  }

  return {
    exchange,
    close: () => {
      if (closed !== undefined) return closed
      closing = true
      closed = new Promise<void>((resolve) => {
        drained = () => {
          drained = undefined
          resolve()
        }
      })
      pump()
      return closed
    },
    destroy: () => {
      closing = true
      const failed: Array<Exchange> = []
      for (let ex = firstQueued(); ex !== undefined; ex = firstQueued()) {
        dequeue()
        ex.state = DONE
        failed.push(ex)
      }
      queued = 0
      for (const conn of liveConns) {
        const ex = conn.ex
        if (ex !== undefined) {
          conn.ex = undefined
          ex.conn = undefined
          ex.state = DONE
          running--
          failed.push(ex)
        }
        discard(conn)
      }
      drained?.()
      for (const ex of failed) ex.call.onError(clientClosedError())
      return Promise.resolve()
    },
  }
}
