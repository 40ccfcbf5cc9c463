import { randomUUID } from "node:crypto"
import { Effect, Either, ParseResult, Schema } from "effect"
import { St2Timeout, St2Unavailable, St2UndecodableBody, type St2Error } from "./St2Error.ts"
import { errorFromResponse } from "./St2ErrorMapping.ts"
import { type St2Transport, socketErrorCause } from "./St2Transport.ts"

/** One request to st2api or st2auth. Credentials go in `headers` only, never in `query`. */
export interface St2Request {
  readonly method: "GET" | "POST" | "PUT"
  /** Absolute base, e.g. `https://st2/api/v1` */
  readonly base: string
  /** e.g. `/actionalias/help` */
  readonly path: string
  readonly query?: Readonly<Record<string, string | number | undefined>> | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly body?: unknown
  /**
   * The answer carries a secret (a token): decoding errors then name the failing paths only,
   * never the values.
   */
  readonly sensitive?: boolean | undefined
}

export interface St2Answer<A> {
  readonly value: A
  readonly status: number
  readonly requestId: string
  readonly headers: AnswerHeaders
}

/** The response headers, read by name (case-insensitive), as `Headers.get` reads them. */
export interface AnswerHeaders {
  readonly get: (name: string) => string | null
}

const answerHeaders = (raw: Record<string, string | string[] | undefined>): AnswerHeaders => ({
  get: (name) => {
    const v = raw[name.toLowerCase()]
    return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v
  },
})

/** Redirects are refused: a credential header would follow one to wherever it points. */
const redirectStatuses = new Set([301, 302, 303, 307, 308])
const redirectRefused =
  "st2 answered with a redirect, which stormbot does not follow (credentials would travel with it): configure the final URL (https://...)"

const maxDetail = 500

/**
 * Describes why a body did not decode. For sensitive answers only paths and issue kinds are
 * given, because Schema's messages quote the offending value.
 */
const decodeDetail = (error: ParseResult.ParseError, sensitive: boolean): string => {
  if (sensitive) {
    const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
    return issues.map((i) => `${i.path.length === 0 ? "(body)" : i.path.join(".")}: ${i._tag}`).join("; ")
  }
  const text = ParseResult.TreeFormatter.formatErrorSync(error)
  return text.length > maxDetail ? `${text.slice(0, maxDetail)}…` : text
}

const urlOf = (req: St2Request): URL => {
  const url = new URL(req.base.replace(/\/+$/, "") + req.path)
  for (const [k, v] of Object.entries(req.query ?? {}))
    if (v !== undefined) url.searchParams.set(k, String(v))
  return url
}

const decoders = new WeakMap<object, (u: unknown) => Either.Either<unknown, ParseResult.ParseError>>()
/** `Schema.decodeUnknownEither(schema)`, built once per schema. */
const decoderOf = <A, I>(schema: Schema.Schema<A, I>) => {
  let decode = decoders.get(schema)
  if (decode === undefined) {
    decode = Schema.decodeUnknownEither(schema) as (
      u: unknown,
    ) => Either.Either<unknown, ParseResult.ParseError>
    decoders.set(schema, decode)
  }
  return decode as (u: unknown) => Either.Either<A, ParseResult.ParseError>
}

/**
 * Sends one request and decodes a 2xx body with `schema`. Every request is bounded by
 * `timeoutMs` (connect, headers and body together); interruption aborts the socket.
 * A request id is sent in `X-Request-ID` (st2 echoes it), so even a timeout names one.
 * Redirects are refused: a custom credential header would follow them to another host.
 */
export const st2Request = <A, I>(
  transport: St2Transport,
  timeoutMs: number,
  req: St2Request,
  schema: Schema.Schema<A, I>,
  /** A hand-written decoder for the common shape: its output or `undefined` (then `schema` decodes). */
  fast?: (json: unknown) => A | undefined,
): Effect.Effect<St2Answer<A>, St2Error> => {
  const url = urlOf(req)
  const path = url.pathname
  const sentId = randomUUID()
  const common = { method: req.method, path }
  const headers: Record<string, string> = {
    Accept: "application/json",
    "X-Request-ID": sentId,
    ...req.headers,
  }
  if (req.body !== undefined) headers["Content-Type"] = "application/json"
  // The timeout is a plain timer that aborts the request, and interruption aborts it too: no
  // timeout fiber and no interruption signal per request (both showed per command in profiles).
  // The timer runs from the call, so a turn waited in the pool's queue counts.
  return Effect.async<
    { res: { status: number; headers: AnswerHeaders }; text: string },
    St2Unavailable | St2Timeout
  >((resume) => {
    let settled = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const settle = (
      outcome: Effect.Effect<
        { res: { status: number; headers: AnswerHeaders }; text: string },
        St2Unavailable | St2Timeout
      >,
    ) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resume(outcome)
    }
    const unavailable = (cause: string) =>
      Effect.fail(new St2Unavailable({ ...common, requestId: sentId, cause }))
    const abort = transport.send(
      url,
      { method: req.method, headers, body: req.body === undefined ? undefined : JSON.stringify(req.body) },
      {
        onResponse: (res) => {
          const status = res.statusCode ?? 0
          let text = ""
          res.setEncoding("utf8")
          res.on("data", (chunk: string) => {
            text += chunk
          })
          res.on("end", () =>
            settle(
              redirectStatuses.has(status)
                ? unavailable(redirectRefused)
                : Effect.succeed({ res: { status, headers: answerHeaders(res.headers) }, text }),
            ),
          )
        },
        onError: (e) => settle(unavailable(socketErrorCause(e))),
      },
    )
    if (timeoutMs < 2 ** 31)
      timer = setTimeout(() => {
        settle(Effect.fail(new St2Timeout({ ...common, requestId: sentId, timeoutMs })))
        abort()
      }, timeoutMs)
    return Effect.sync(() => {
      settled = true
      clearTimeout(timer)
      abort()
    })
  }).pipe(
    Effect.flatMap(({ res, text }) => {
      const requestId = res.headers.get("x-request-id") ?? sentId
      if (res.status < 200 || res.status > 299)
        return Effect.fail(errorFromResponse({ ...common, requestId, status: res.status, body: text }))
      const undecodable = (detail: string) =>
        new St2UndecodableBody({ ...common, requestId, status: res.status, detail })
      // Parse and decode in one synchronous step: this runs once per command.
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        return Effect.fail(undecodable(`not JSON (${res.headers.get("content-type") ?? "no content type"})`))
      }
      const quick = fast?.(json)
      if (quick !== undefined)
        return Effect.succeed({ value: quick, status: res.status, requestId, headers: res.headers })
      const decoded = decoderOf(schema)(json)
      return Either.isLeft(decoded)
        ? Effect.fail(undecodable(decodeDetail(decoded.left, req.sensitive === true)))
        : Effect.succeed({ value: decoded.right, status: res.status, requestId, headers: res.headers })
    }),
  )
}
