import { Effect, type Scope, Stream } from "effect"
import { createParser, type EventSourceMessage } from "eventsource-parser"
import { type Dispatcher, fetch } from "undici"
import { credentialHeaders, type St2Credential } from "./St2Credential.ts"
import { type St2Error, St2Unavailable, St2UndecodableBody } from "./St2Error.ts"
import { errorFromResponse } from "./St2ErrorMapping.ts"

/**
 * One thing read from st2's event stream (contract §5).
 * - `Bytes`: liveness. One per chunk read, the bare `\n` heartbeat included; carries no data.
 * - `Event`: an `event:`/`data:` block whose data is JSON.
 * - `Malformed`: a block whose data is not JSON. Never fatal: the stream goes on.
 */
export type StreamItem =
  | { readonly _tag: "Bytes"; readonly size: number }
  | { readonly _tag: "Event"; readonly event: string; readonly data: unknown }
  | { readonly _tag: "Malformed"; readonly event: string; readonly raw: string; readonly detail: string }

export interface StreamRequest {
  /** `St2Endpoints.streamUrl`, e.g. `https://st2/stream/v1`; the request goes to `${streamUrl}/stream`. */
  readonly streamUrl: string
  /** From `makeDispatcher(endpoints, { bodyTimeoutMs: 0 })`: the machine owns liveness, not undici. */
  readonly dispatcher: Dispatcher
  readonly credential: St2Credential
  /** Event-name globs for `?events=`; st2 announcements are `st2.announcement__<route>`. */
  readonly events: ReadonlyArray<string>
  /** Largest event (in characters) kept while waiting for its end; larger ones end the connection. */
  readonly maxEventChars?: number | undefined
}

/** Why opening the stream failed before the first byte of the body. */
export type StreamOpenError = St2Error
/** Why an open stream broke: the connection dropped, or its body is not an event stream. */
export type StreamReadError = St2Unavailable | St2UndecodableBody

const DEFAULT_MAX_EVENT_CHARS = 32 * 1024 * 1024

const causeText = (error: unknown): string => {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause
    if (cause instanceof Error) {
      const code = (cause as { code?: unknown }).code
      return typeof code === "string" ? `${code}: ${cause.message}` : cause.message
    }
    return error.message
  }
  return String(error)
}

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
  maxEventChars: number,
): ((chunk: Uint8Array) => Effect.Effect<ReadonlyArray<StreamItem>, St2UndecodableBody>) => {
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
        return Effect.fail(
          new St2UndecodableBody({
            method: "GET",
            path,
            status: 200,
            detail: `a stream event exceeded ${maxEventChars} characters`,
          }),
        )
      }
      const out = pending
      pending = []
      return Effect.succeed(out)
    })
}

/**
 * Opens `GET ${streamUrl}/stream?events=...` with the credential in a header. Succeeds once st2
 * answered 200 `text/event-stream`, with the body as a stream of items that ends when the server
 * closes (nginx's `retry: 1000` answer when st2stream is down is such an end). Any other answer
 * fails with a tagged error: 401 → `St2Unauthorized` with its reason, 5xx → `St2ServerError`, ...
 * The request is aborted when the scope closes.
 */
export const openStream = (
  request: StreamRequest,
): Effect.Effect<Stream.Stream<StreamItem, StreamReadError>, StreamOpenError, Scope.Scope> =>
  Effect.gen(function* () {
    const path = streamPath(request.streamUrl)
    const controller = yield* Effect.acquireRelease(
      Effect.sync(() => new AbortController()),
      (c) => Effect.sync(() => c.abort()),
    )
    const response = yield* Effect.tryPromise({
      try: (signal) => {
        signal.addEventListener("abort", () => controller.abort(), { once: true })
        return fetch(streamRequestUrl(request.streamUrl, request.events), {
          method: "GET",
          dispatcher: request.dispatcher,
          signal: controller.signal,
          headers: {
            Accept: "text/event-stream",
            "Cache-Control": "no-cache",
            ...credentialHeaders(request.credential),
          },
        })
      },
      catch: (e) => new St2Unavailable({ method: "GET", path, cause: causeText(e) }),
    })
    const requestId = response.headers.get("x-request-id") ?? undefined
    if (response.status !== 200) {
      const body = yield* Effect.tryPromise({
        try: () => response.text(),
        catch: (e) => new St2Unavailable({ method: "GET", path, requestId, cause: causeText(e) }),
      })
      return yield* Effect.fail(
        errorFromResponse({ method: "GET", status: response.status, body, path, requestId }),
      )
    }
    const contentType = response.headers.get("content-type") ?? ""
    if (!contentType.toLowerCase().startsWith("text/event-stream") || response.body === null) {
      yield* Effect.promise(() => response.body?.cancel() ?? Promise.resolve()).pipe(Effect.ignore)
      return yield* Effect.fail(
        new St2UndecodableBody({
          method: "GET",
          path,
          requestId,
          status: 200,
          detail: `expected Content-Type text/event-stream, got ${contentType === "" ? "none" : contentType}`,
        }),
      )
    }
    const body = response.body
    const toItems = itemsOf(path, request.maxEventChars ?? DEFAULT_MAX_EVENT_CHARS)
    return Stream.fromReadableStream({
      evaluate: () => body,
      onError: (e) => new St2Unavailable({ method: "GET", path, requestId, cause: causeText(e) }),
    }).pipe(
      Stream.mapEffect(toItems),
      Stream.mapConcat((items) => items),
    )
  })

/** `openStream` as one stream: open errors and read errors alike end it with a failure. */
export const streamItems = (request: StreamRequest): Stream.Stream<StreamItem, StreamOpenError> =>
  Stream.unwrapScoped(openStream(request))
