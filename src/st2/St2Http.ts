import { randomUUID } from "node:crypto"
import { Effect, ParseResult, Schema } from "effect"
import { type Dispatcher, request } from "undici"
import { St2Timeout, St2Unavailable, St2UndecodableBody, type St2Error } from "./St2Error.ts"
import { errorFromResponse } from "./St2ErrorMapping.ts"

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

/** The statuses fetch treats as redirects; with `redirect: "error"` each was a network error. */
const redirectStatuses = new Set([301, 302, 303, 307, 308])

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

/** `cause` of a fetch failure: the socket error's code and message (no URL query, no headers). */
const unavailableCause = (e: unknown): string => {
  const outer = e instanceof Error ? e : new Error(String(e))
  // fetch wrapped the socket error in `cause`; undici's request throws it as is.
  const inner = outer.cause instanceof Error ? outer.cause : outer
  if (inner !== undefined && /redirect/i.test(inner.message))
    return "st2 answered with a redirect, which stormbot does not follow (credentials would travel with it): configure the final URL (https://...)"
  const code =
    inner !== undefined && "code" in inner && typeof inner.code === "string" ? `${inner.code}: ` : ""
  return `${code}${inner?.message ?? outer.message}`
}

const urlOf = (req: St2Request): URL => {
  const url = new URL(req.base.replace(/\/+$/, "") + req.path)
  for (const [k, v] of Object.entries(req.query ?? {}))
    if (v !== undefined) url.searchParams.set(k, String(v))
  return url
}

/**
 * Sends one request and decodes a 2xx body with `schema`. Every request is bounded by
 * `timeoutMs` (connect, headers and body together); interruption aborts the socket.
 * A request id is sent in `X-Request-ID` (st2 echoes it), so even a timeout names one.
 * Redirects are refused: a custom credential header would follow them to another host.
 */
export const st2Request = <A, I>(
  dispatcher: Dispatcher,
  timeoutMs: number,
  req: St2Request,
  schema: Schema.Schema<A, I>,
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
  return Effect.async<
    { res: { status: number; headers: AnswerHeaders }; text: string },
    St2Unavailable | St2Timeout
  >((resume) => {
    const controller = new AbortController()
    let timedOut = false
    const timer =
      timeoutMs < 2 ** 31
        ? setTimeout(() => {
            timedOut = true
            controller.abort()
          }, timeoutMs)
        : undefined
    const send = async () => {
      // undici's request rather than fetch: the same dispatcher and socket handling at a
      // fraction of the cost per call (no WHATWG streams and Response objects). It follows no
      // redirect; one is refused below as fetch's `redirect: "error"` refused it.
      const res = await request(url, {
        method: req.method,
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: controller.signal,
        dispatcher,
      })
      const text = await res.body.text()
      if (redirectStatuses.has(res.statusCode)) throw new Error("unexpected redirect")
      return { res: { status: res.statusCode, headers: answerHeaders(res.headers) }, text }
    }
    send().then(
      (answer) => {
        clearTimeout(timer)
        resume(Effect.succeed(answer))
      },
      (e: unknown) => {
        clearTimeout(timer)
        resume(
          Effect.fail(
            timedOut
              ? new St2Timeout({ ...common, requestId: sentId, timeoutMs })
              : new St2Unavailable({ ...common, requestId: sentId, cause: unavailableCause(e) }),
          ),
        )
      },
    )
    return Effect.sync(() => {
      clearTimeout(timer)
      controller.abort()
    })
  }).pipe(
    Effect.flatMap(({ res, text }) => {
      const requestId = res.headers.get("x-request-id") ?? sentId
      if (res.status < 200 || res.status > 299)
        return Effect.fail(errorFromResponse({ ...common, requestId, status: res.status, body: text }))
      const undecodable = (detail: string) =>
        new St2UndecodableBody({ ...common, requestId, status: res.status, detail })
      return Effect.try({
        try: (): unknown => JSON.parse(text),
        catch: () => undecodable(`not JSON (${res.headers.get("content-type") ?? "no content type"})`),
      }).pipe(
        Effect.flatMap((json) =>
          Schema.decodeUnknown(schema)(json).pipe(
            Effect.mapError((e) => undecodable(decodeDetail(e, req.sensitive === true))),
          ),
        ),
        Effect.map((value) => ({ value, status: res.status, requestId, headers: res.headers })),
      )
    }),
  )
}
