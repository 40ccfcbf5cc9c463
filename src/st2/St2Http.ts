import { randomUUID } from "node:crypto"
import { Effect, Either, ParseResult, Schema } from "effect"
import { isResponseTooLarge } from "./RawHttpPool.ts"
import {
  type St2Error,
  St2ResponseTooLarge,
  St2Timeout,
  St2Unavailable,
  St2UndecodableBody,
} from "./St2Error.ts"
import { errorFromResponse } from "./St2ErrorMapping.ts"
import { type St2RawAnswer, type St2Transport, socketErrorCause } from "./St2Transport.ts"

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

const answerHeaders = (raw: Readonly<Record<string, string>>): AnswerHeaders => ({
  get: (name) => raw[name.toLowerCase()] ?? null,
})

/** Redirects are refused: a credential header would follow one to wherever it points. */
const redirectStatuses = new Set([301, 302, 303, 307, 308])
const redirectRefused =
  "st2 answered with a redirect, which stormbot does not follow (credentials would travel with it): configure the final URL (https://...)"

const maxDetail = 500

/**
 * Describes why a body did not decode: the failing paths and what was expected, never the values
 * (an execution's parameters or result can hold anything, and the detail reaches logs and chat):
 * Schema's messages quote the offending value after `, actual`, which is cut. For sensitive
 * answers (a token) only paths and issue kinds are given.
 */
const decodeDetail = (error: ParseResult.ParseError, sensitive: boolean): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const seen = new Set<string>()
  for (const i of issues) {
    const path = i.path.length === 0 ? "(body)" : i.path.join(".")
    seen.add(sensitive ? `${path}: ${i._tag}` : `${path}: ${i.message.replace(/,\s*actual[\s\S]*$/, "")}`)
  }
  const text = [...seen].join("; ")
  return text.length > maxDetail ? `${text.slice(0, maxDetail)}…` : text
}

/** URLs without a query, parsed once: every command posts to the same one. Bounded (paths carry ids). */
const parsedUrls = new Map<string, URL>()
const urlOf = (req: St2Request): URL => {
  if (req.query === undefined) {
    const key = req.base + req.path
    let url = parsedUrls.get(key)
    if (url === undefined) {
      url = new URL(req.base.replace(/\/+$/, "") + req.path)
      if (parsedUrls.size >= 64) parsedUrls.clear()
      parsedUrls.set(key, url)
    }
    return url
  }
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

/** The outcome of `st2Call`: the decoded answer, or why there is none. */
export type St2Outcome<A> = Either.Either<St2Answer<A>, St2Error>

/**
 * Sends one request and decodes a 2xx body with `schema`, calling `done` once with the outcome
 * (never after `abort`, which the call returns). Every request is bounded by `timeoutMs`
 * (connect, headers and body together, a turn waited in the pool's queue included) and its body by
 * the transport's `maxResponseBytes` (`St2ResponseTooLarge`). A request id
 * is sent in `X-Request-ID` (st2 echoes it), so even a timeout names one. Redirects are refused:
 * a credential header would follow them to another host.
 *
 * Plain callbacks, no effect: the per-command path runs on this (`st2Request` wraps it for
 * everything else), a few microseconds per command instead of an effect fiber's.
 */
export const st2Call = <A, I>(
  transport: St2Transport,
  timeoutMs: number,
  req: St2Request,
  schema: Schema.Schema<A, I>,
  /** A hand-written decoder for the common shape: its output or `undefined` (then `schema` decodes). */
  fast: ((json: unknown) => A | undefined) | undefined,
  done: (outcome: St2Outcome<A>) => void,
): (() => void) => {
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
  let settled = false
  let timer: ReturnType<typeof setTimeout> | undefined
  const settle = (outcome: St2Outcome<A>) => {
    if (settled) return
    settled = true
    clearTimeout(timer)
    done(outcome)
  }
  const abort = transport.exchange(
    url,
    { method: req.method, headers, body: req.body === undefined ? undefined : JSON.stringify(req.body) },
    {
      onAnswer: (answer) =>
        settle(decodeAnswer(answer, sentId, common, schema, fast, req.sensitive === true)),
      onError: (e) =>
        settle(
          Either.left(
            isResponseTooLarge(e)
              ? new St2ResponseTooLarge({
                  ...common,
                  requestId: e.requestId ?? sentId,
                  status: e.status,
                  limitBytes: e.limitBytes,
                  declaredBytes: e.declaredBytes,
                  part: "body",
                })
              : new St2Unavailable({ ...common, requestId: sentId, cause: socketErrorCause(e) }),
          ),
        ),
    },
  )
  if (timeoutMs < 2 ** 31)
    timer = setTimeout(() => {
      settle(Either.left(new St2Timeout({ ...common, requestId: sentId, timeoutMs })))
      abort()
    }, timeoutMs)
  return () => {
    settled = true
    clearTimeout(timer)
    abort()
  }
}

/** Status, JSON and shape of one answer, in one synchronous step (it runs once per command). */
const decodeAnswer = <A, I>(
  answer: St2RawAnswer,
  sentId: string,
  common: { readonly method: St2Request["method"]; readonly path: string },
  schema: Schema.Schema<A, I>,
  fast: ((json: unknown) => A | undefined) | undefined,
  sensitive: boolean,
): St2Outcome<A> => {
  const { status, body } = answer
  const headers = answerHeaders(answer.headers)
  const requestId = answer.headers["x-request-id"] ?? sentId
  if (redirectStatuses.has(status))
    return Either.left(new St2Unavailable({ ...common, requestId: sentId, cause: redirectRefused }))
  if (status < 200 || status > 299)
    return Either.left(errorFromResponse({ ...common, requestId, status, body }))
  const undecodable = (detail: string) => new St2UndecodableBody({ ...common, requestId, status, detail })
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return Either.left(undecodable(`not JSON (${answer.headers["content-type"] ?? "no content type"})`))
  }
  const quick = fast?.(json)
  if (quick !== undefined) return Either.right({ value: quick, status, requestId, headers })
  const decoded = decoderOf(schema)(json)
  return Either.isLeft(decoded)
    ? Either.left(undecodable(decodeDetail(decoded.left, sensitive)))
    : Either.right({ value: decoded.right, status, requestId, headers })
}

/** `st2Call` as an effect; interruption aborts the request. */
export const st2Request = <A, I>(
  transport: St2Transport,
  timeoutMs: number,
  req: St2Request,
  schema: Schema.Schema<A, I>,
  fast?: (json: unknown) => A | undefined,
): Effect.Effect<St2Answer<A>, St2Error> =>
  Effect.async<St2Answer<A>, St2Error>((resume) => {
    const abort = st2Call(transport, timeoutMs, req, schema, fast, (outcome) =>
      resume(Either.isRight(outcome) ? Effect.succeed(outcome.right) : Effect.fail(outcome.left)),
    )
    return Effect.sync(abort)
  })
