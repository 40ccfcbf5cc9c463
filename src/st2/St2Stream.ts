import type { IncomingMessage } from "node:http"
import { Effect, Option, type Scope, Stream } from "effect"
import { createParser, type EventSourceMessage } from "eventsource-parser"
import { credentialHeaders, type St2Credential } from "./St2Credential.ts"
import { DEFAULT_MAX_RESPONSE_BYTES } from "./RawHttpPool.ts"
import {
  type St2Error,
  St2ResponseTooLarge,
  St2Timeout,
  St2Unavailable,
  St2UndecodableBody,
} from "./St2Error.ts"
import { errorFromResponse } from "./St2ErrorMapping.ts"
import { CONNECT_TIMEOUT, isSendTimeout, type St2Transport, socketErrorCause } from "./St2Transport.ts"

/**
 * One thing read from st2's event stream (contract §5).
 * - `Bytes`: liveness. One per chunk read, the bare `\n` heartbeat included; carries no data.
 * - `Event`: an `event:`/`data:` block whose data is JSON.
 * - `Malformed`: a block whose data is not JSON. Never fatal: the stream goes on. `raw` is the
 *   data and `detail` the JSON parser's message, which may quote it: both are for debug logs only.
 */
export type StreamItem =
  | { readonly _tag: "Bytes"; readonly size: number }
  | { readonly _tag: "Event"; readonly event: string; readonly data: unknown }
  | { readonly _tag: "Malformed"; readonly event: string; readonly raw: string; readonly detail: string }

export interface StreamRequest {
  /** `St2Endpoints.streamUrl`, e.g. `https://st2/stream/v1`; the request goes to `${streamUrl}/stream`. */
  readonly streamUrl: string
  /** From `makeDispatcher(endpoints, { bodyTimeoutMs: 0 })`: the machine owns liveness, not the socket. */
  readonly dispatcher: St2Transport
  readonly credential: St2Credential
  /** Event-name globs for `?events=`; st2 announcements are `st2.announcement__<route>`. */
  readonly events: ReadonlyArray<string>
  /**
   * Largest event, or line, kept while waiting for its end (`limits.max_response_bytes`; default
   * 16 MiB), in characters (never more than its bytes): a larger one ends the connection with
   * `St2ResponseTooLarge` (`part: "event"`).
   */
  readonly maxEventBytes?: number | undefined
  /** The connection made and the request sent within this (default 10 s), else `St2Timeout` (`connect`). */
  readonly connectTimeoutMs?: number | undefined
  /** The answer's status and headers within this from the start (default 30 s), else `St2Timeout` (`headers`). */
  readonly headersTimeoutMs?: number | undefined
  /** How long the body of a non-200 answer is read for its faultstring (default 5 s; at most 8 KiB). */
  readonly errorBodyTimeoutMs?: number | undefined
}

/** Why opening the stream failed before the first byte of the body. */
export type StreamOpenError = St2Error
/** Why an open stream broke: the connection dropped, or an event (or line) passed the bound. */
export type StreamReadError = St2Unavailable | St2ResponseTooLarge

/** st2stream answers at once (its first heartbeat comes with the headers); these are generous. */
export const STREAM_CONNECT_TIMEOUT_MS = 10_000
export const STREAM_HEADERS_TIMEOUT_MS = 30_000
/** A non-200 answer's body is read this far, for its faultstring: st2's JSON or a proxy's page. */
export const ERROR_BODY_MAX_BYTES = 8 * 1024
export const ERROR_BODY_TIMEOUT_MS = 5_000

/** Why a block's data is not JSON (the JSON parser's message). */
const causeText = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** The URL path st2 sees, for error messages: never the query, never a credential. */
const streamPath = (streamUrl: string): string => {
  try {
    return `${new URL(streamUrl).pathname.replace(/\/+$/, "")}/stream`
  } catch {
    return "/stream"
  }
}

export const streamRequestUrl = (streamUrl: string, events: ReadonlyArray<string>): string =>
  `${streamUrl.replace(/\/+$/, "")}/stream?events=${events.map(encodeURIComponent).join(",")}`

/** Turns the body's byte chunks into items; one parser per connection. */
const itemsOf = (
  path: string,
  requestId: string | undefined,
  maxEventChars: number,
): ((chunk: Uint8Array) => Effect.Effect<ReadonlyArray<StreamItem>, St2ResponseTooLarge>) => {
  const decoder = new TextDecoder("utf-8")
  let pending: Array<StreamItem> = []
  let overflow = false
  const onEvent = (message: EventSourceMessage) => {
    const event = message.event ?? "message"
    try {
      pending.push({ _tag: "Event", event, data: JSON.parse(message.data) })
    } catch (e) {
      pending.push({ _tag: "Malformed", event, raw: message.data, detail: causeText(e) })
    }
  }
  const parser = createParser({
    onEvent,
    onError: (error) => {
      if (error.type === "max-buffer-size-exceeded") overflow = true
      // Unknown fields and bad `retry:` values are ignored, as the SSE spec says.
    },
    maxBufferSize: maxEventChars,
  })
  return (chunk) =>
    Effect.suspend(() => {
      if (chunk.byteLength === 0) return Effect.succeed([])
      pending = [{ _tag: "Bytes", size: chunk.byteLength }]
      if (!overflow) parser.feed(decoder.decode(chunk, { stream: true }))
      if (overflow) {
        // Nothing of the event is kept or reported: the parser dropped its buffer.
        return Effect.fail(
          new St2ResponseTooLarge({
            method: "GET",
            path,
            requestId,
            status: 200,
            limitBytes: maxEventChars,
            part: "event",
          }),
        )
      }
      const out = pending
      pending = []
      return Effect.succeed(out)
    })
}

/**
 * A response body read chunk by chunk on demand: the socket is paused while a chunk waits, so a
 * slow reader holds st2 back instead of buffering without bound. Listeners are attached at once
 * (call it in `onResponse`), so no chunk, end or error is missed before the first pull.
 */
const bodyReader = (res: IncomingMessage) => {
  const chunks: Array<Buffer> = []
  let ended = false
  let error: Error | undefined
  let wake: (() => void) | undefined
  const notify = () => {
    const w = wake
    wake = undefined
    w?.()
  }
  res.on("data", (chunk: Buffer) => {
    chunks.push(chunk)
    res.pause()
    notify()
  })
  res.on("end", () => {
    ended = true
    notify()
  })
  res.on("error", (e) => {
    error ??= e
    notify()
  })
  res.on("close", () => {
    if (!ended) error ??= Object.assign(new Error("the stream closed before its end"), { code: "ECONNRESET" })
    notify()
  })
  /** The next chunk; fails with `None` at the end, `Some(error)` when the body broke. */
  const pull: Effect.Effect<Buffer, Option.Option<Error>> = Effect.async((resume) => {
    const step = () => {
      const chunk = chunks.shift()
      if (chunk !== undefined) {
        if (chunks.length === 0) res.resume()
        resume(Effect.succeed(chunk))
      } else if (error !== undefined) resume(Effect.fail(Option.some(error)))
      else if (ended) resume(Effect.fail(Option.none()))
      else wake = step
    }
    step()
    return Effect.sync(() => {
      wake = undefined
    })
  })
  return { pull }
}

/**
 * The start of an error answer's body, as text: until its end, `maxBytes` or `timeoutMs`,
 * whichever comes first (a broken read ends it too). Its status already says what failed; the
 * body only adds st2's faultstring, which is short, so an endless or stalled body costs no more.
 */
const readErrorBody = (
  pull: Effect.Effect<Buffer, Option.Option<Error>>,
  maxBytes: number,
  timeoutMs: number,
): Effect.Effect<string> => {
  const chunks: Array<Buffer> = []
  let size = 0
  return Effect.gen(function* () {
    while (size < maxBytes) {
      const next = yield* Effect.either(pull)
      if (next._tag === "Left") return
      chunks.push(next.right)
      size += next.right.length
    }
  }).pipe(
    Effect.timeoutOption(timeoutMs),
    Effect.map(() => Buffer.concat(chunks).subarray(0, maxBytes).toString("utf8")),
  )
}

/**
 * Opens `GET ${streamUrl}/stream?events=...` with the credential in a header. Succeeds once st2
 * answered 200 `text/event-stream`, with the body as a stream of items that ends when the server
 * closes (nginx's `retry: 1000` answer when st2stream is down is such an end). Any other answer
 * fails with a tagged error: 401 → `St2Unauthorized` with its reason, 5xx → `St2ServerError`, ...
 * (its body read for the faultstring up to 8 KiB or 5 s). No connection, or no headers, in time:
 * `St2Timeout` with its `phase`. The request (and its socket) is destroyed when the scope closes.
 * Once open, silence is the stream machine's business (heartbeats); an event or line over
 * `maxEventBytes` ends the stream with `St2ResponseTooLarge`.
 */
export const openStream = (
  request: StreamRequest,
): Effect.Effect<Stream.Stream<StreamItem, StreamReadError>, StreamOpenError, Scope.Scope> =>
  Effect.gen(function* () {
    const path = streamPath(request.streamUrl)
    const unavailable = (requestId: string | undefined) => (e: unknown) =>
      new St2Unavailable({ method: "GET", path, requestId, cause: socketErrorCause(e) })
    const openFailure = (e: unknown): St2Timeout | St2Unavailable =>
      isSendTimeout(e)
        ? new St2Timeout({
            method: "GET",
            path,
            timeoutMs: e.timeoutMs,
            phase: e.code === CONNECT_TIMEOUT ? "connect" : "headers",
          })
        : unavailable(undefined)(e)
    const exchange = yield* Effect.acquireRelease(
      Effect.sync(() => ({ abort: () => {} })),
      (x) => Effect.sync(() => x.abort()),
    )
    const { res, pull } = yield* Effect.async<
      { res: IncomingMessage; pull: Effect.Effect<Buffer, Option.Option<Error>> },
      St2Unavailable | St2Timeout
    >((resume) => {
      let settled = false
      exchange.abort = request.dispatcher.send(
        new URL(streamRequestUrl(request.streamUrl, request.events)),
        {
          method: "GET",
          headers: {
            Accept: "text/event-stream",
            "Cache-Control": "no-cache",
            ...credentialHeaders(request.credential),
          },
        },
        {
          onResponse: (res) => {
            if (settled) return
            settled = true
            resume(Effect.succeed({ res, pull: bodyReader(res).pull }))
          },
          // After the response, the body reader sees the failure itself.
          onError: (e) => {
            if (settled) return
            settled = true
            resume(Effect.fail(openFailure(e)))
          },
        },
        {
          connectMs: request.connectTimeoutMs ?? STREAM_CONNECT_TIMEOUT_MS,
          headersMs: request.headersTimeoutMs ?? STREAM_HEADERS_TIMEOUT_MS,
        },
      )
      return Effect.sync(() => exchange.abort())
    })
    const header = res.headers["x-request-id"]
    const requestId = Array.isArray(header) ? header[0] : header
    const status = res.statusCode ?? 0
    if (status !== 200) {
      const body = yield* readErrorBody(
        pull,
        ERROR_BODY_MAX_BYTES,
        request.errorBodyTimeoutMs ?? ERROR_BODY_TIMEOUT_MS,
      )
      exchange.abort()
      return yield* Effect.fail(errorFromResponse({ method: "GET", status, body, path, requestId }))
    }
    const contentType = res.headers["content-type"] ?? ""
    if (!contentType.toLowerCase().startsWith("text/event-stream")) {
      exchange.abort()
      return yield* Effect.fail(
        new St2UndecodableBody({
          method: "GET",
          path,
          requestId,
          status: 200,
          detail: `expected Content-Type text/event-stream, got ${contentType === "" ? "none" : contentType.length > 100 ? `${contentType.slice(0, 100)}…` : contentType}`,
        }),
      )
    }
    const toItems = itemsOf(path, requestId, request.maxEventBytes ?? DEFAULT_MAX_RESPONSE_BYTES)
    return Stream.repeatEffectOption(pull.pipe(Effect.mapError(Option.map(unavailable(requestId))))).pipe(
      Stream.mapEffect(toItems),
      Stream.mapConcat((items) => items),
    )
  })

/** `openStream` as one stream: open errors and read errors alike end it with a failure. */
export const streamItems = (request: StreamRequest): Stream.Stream<StreamItem, StreamOpenError> =>
  Stream.unwrapScoped(openStream(request))
