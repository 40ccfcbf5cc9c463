import { Buffer } from "node:buffer"
import { Context, Effect, Either, Layer, ParseResult, Redacted, Schema } from "effect"
import { ActionAlias, aliasRef } from "./ActionAlias.ts"
import { credentialHeaders, type St2Credential } from "./St2Credential.ts"
import { makeDispatcher, type St2Endpoints } from "./St2Endpoints.ts"
import { type St2Error, St2UndecodableBody } from "./St2Error.ts"
import { type St2Request, st2Call, st2Request } from "./St2Http.ts"
import type { St2Transport } from "./St2Transport.ts"
import {
  type AliasExecutionRequest,
  AliasExecutionResult,
  type MatchAndExecuteRequest,
  MatchAndExecuteResult,
} from "./schemas/AliasExecution.ts"
import { AliasHelp } from "./schemas/AliasHelp.ts"
import { AliasMatch } from "./schemas/AliasMatch.ts"
import { Execution } from "./schemas/Execution.ts"
import { Inquiry, InquiryResponse } from "./schemas/Inquiry.ts"
import { St2Token, TokenValidation } from "./schemas/Token.ts"
import { fastAliasExecutionResult } from "./fast/fastAliasExecutionResult.ts"
import { St2User } from "./schemas/User.ts"

/** A username and password for `POST /auth/v1/tokens` (HTTP Basic; the password may contain `:`). */
export interface BasicCredentials {
  readonly username: string
  readonly password: Redacted.Redacted<string>
}

/** Whom a service account asks a token for: an st2 user, or a chat nickname st2 maps to one. */
export type ImpersonationTarget =
  | { readonly user: string }
  | { readonly nickname: string; readonly origin: string }

export interface TokenOptions {
  /** Seconds, >= 1; st2 answers 400 above its maximum (86400 by default). */
  readonly ttl?: number | undefined
}

/** An alias that `listAliases` could not decode, kept out of the list instead of failing it. */
export interface SkippedAlias {
  /** `pack.name` when the entry had both as strings. */
  readonly ref?: string | undefined
  readonly detail: string
}

/** Every alias st2 has (all pages), plus the entries that did not decode. */
export interface AliasList {
  readonly aliases: ReadonlyArray<ActionAlias>
  readonly skipped: ReadonlyArray<SkippedAlias>
}

export interface HelpQuery {
  readonly filter?: string | undefined
  readonly pack?: string | undefined
  readonly limit?: number | undefined
  readonly offset?: number | undefined
}

/**
 * The StackStorm API as the bot uses it. Every method that needs a credential takes it
 * explicitly (the bot's own, or later a chat user's); `withBotCredential` covers the common
 * case. Token creation takes Basic credentials instead: it is the only call without a token.
 */
export interface St2ClientService {
  readonly createToken: (basic: BasicCredentials, options?: TokenOptions) => Effect.Effect<St2Token, St2Error>
  /** Basic auth of a service account; st2 400s when the account is not a service or the user is unknown. */
  readonly impersonate: (
    service: BasicCredentials,
    target: ImpersonationTarget,
    options?: TokenOptions,
  ) => Effect.Effect<St2Token, St2Error>
  readonly validateToken: (
    credential: St2Credential,
    token: Redacted.Redacted<string>,
  ) => Effect.Effect<boolean, St2Error>
  /** `GET /api/v1/user`: the cheapest check that a credential works. */
  readonly currentUser: (credential: St2Credential) => Effect.Effect<St2User, St2Error>
  /** All aliases, page by page (`limit=100`), so none is lost to the page size. */
  readonly listAliases: (
    credential: St2Credential,
    options?: { readonly pack?: string | undefined },
  ) => Effect.Effect<AliasList, St2Error>
  readonly aliasHelp: (credential: St2Credential, query?: HelpQuery) => Effect.Effect<AliasHelp, St2Error>
  /** 400 `St2BadRequest` when no pattern or more than one matches (st2's faultstring says which). */
  readonly matchAlias: (credential: St2Credential, command: string) => Effect.Effect<AliasMatch, St2Error>
  readonly executeAlias: (
    credential: St2Credential,
    request: AliasExecutionRequest,
  ) => Effect.Effect<AliasExecutionResult, St2Error>
  /**
   * `executeAlias` with plain callbacks, for the per-command path: calls `done` once with the
   * outcome, never after the returned `abort`. `executeAlias` is this, as an effect.
   */
  readonly executeAliasNow: (
    credential: St2Credential,
    request: AliasExecutionRequest,
    done: (outcome: Either.Either<AliasExecutionResult, St2Error>) => void,
  ) => () => void
  readonly matchAndExecute: (
    credential: St2Credential,
    request: MatchAndExecuteRequest,
  ) => Effect.Effect<MatchAndExecuteResult, St2Error>
  readonly getExecution: (credential: St2Credential, id: string) => Effect.Effect<Execution, St2Error>
  readonly listInquiries: (
    credential: St2Credential,
    options?: { readonly limit?: number | undefined },
  ) => Effect.Effect<ReadonlyArray<Inquiry>, St2Error>
  readonly getInquiry: (credential: St2Credential, id: string) => Effect.Effect<Inquiry, St2Error>
  readonly respondInquiry: (
    credential: St2Credential,
    id: string,
    response: Readonly<Record<string, unknown>>,
  ) => Effect.Effect<InquiryResponse, St2Error>
}

export class St2Client extends Context.Tag("stormbot/St2Client")<St2Client, St2ClientService>() {}

/** st2's default and the page size used to read every alias. */
export const aliasPageSize = 100
/** A bound on pages so a server that ignores `offset` cannot loop us forever (100 000 aliases). */
const maxAliasPages = 1000

const basicHeader = (b: BasicCredentials): Record<string, string> => ({
  Authorization: `Basic ${Buffer.from(`${b.username}:${Redacted.value(b.password)}`, "utf8").toString("base64")}`,
})

const decodeAlias = Schema.decodeUnknownEither(ActionAlias)

/**
 * An alias that did not decode: its ref and Schema's full message (an alias is the operator's own
 * definition, and the message says what to fix in it), at most 500 characters of it.
 */
const skippedOf = (raw: unknown, error: ParseResult.ParseError): SkippedAlias => {
  const r = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {}
  const ref =
    typeof r.pack === "string" && typeof r.name === "string" ? `${r.pack}.${r.name}`.slice(0, 200) : undefined
  const detail = ParseResult.TreeFormatter.formatErrorSync(error)
  return { ref, detail: detail.length > 500 ? `${detail.slice(0, 500)}…` : detail }
}

/**
 * The client over a transport (`makeDispatcher`). Exported for tests and for callers that own
 * their transport; applications use `St2ClientLive`.
 */
export const makeSt2Client = (
  endpoints: Pick<St2Endpoints, "authUrl" | "apiUrl" | "requestTimeoutMs">,
  dispatcher: St2Transport,
): St2ClientService => {
  const send = <A, I>(
    req: St2Request,
    schema: Schema.Schema<A, I>,
    fast?: (json: unknown) => A | undefined,
  ) => st2Request(dispatcher, endpoints.requestTimeoutMs, req, schema, fast)
  const api = (
    credential: St2Credential,
    method: St2Request["method"],
    path: string,
    extra: Pick<St2Request, "query" | "body"> = {},
  ): Omit<St2Request, "sensitive"> => ({
    method,
    base: endpoints.apiUrl,
    path,
    headers: credentialHeaders(credential),
    ...extra,
  })
  const value = <A>(e: Effect.Effect<{ readonly value: A }, St2Error>) => Effect.map(e, (a) => a.value)
  const executeAliasNow: St2ClientService["executeAliasNow"] = (credential, request, done) =>
    st2Call(
      dispatcher,
      endpoints.requestTimeoutMs,
      api(credential, "POST", "/aliasexecution", { body: request }),
      AliasExecutionResult,
      fastAliasExecutionResult,
      (outcome) => done(Either.map(outcome, (a) => a.value)),
    )
  const seg = encodeURIComponent

  const tokenRequest = (basic: BasicCredentials, body: Record<string, unknown>) =>
    value(
      send(
        {
          method: "POST",
          base: endpoints.authUrl,
          path: "/tokens",
          headers: basicHeader(basic),
          body,
          sensitive: true,
        },
        St2Token,
      ),
    )

  const listAliases: St2ClientService["listAliases"] = (credential, options = {}) =>
    Effect.gen(function* () {
      const aliases: ActionAlias[] = []
      const skipped: SkippedAlias[] = []
      const seen = new Set<string>()
      for (let page = 0; page < maxAliasPages; page++) {
        const offset = page * aliasPageSize
        const answer = yield* send(
          api(credential, "GET", "/actionalias", {
            query: { limit: aliasPageSize, offset, pack: options.pack },
          }),
          Schema.Array(Schema.Unknown),
        )
        for (const raw of answer.value) {
          const decoded = decodeAlias(raw)
          if (Either.isLeft(decoded)) {
            skipped.push(skippedOf(raw, decoded.left))
            continue
          }
          // An alias created while paging shifts the pages: never list one twice.
          const ref = aliasRef(decoded.right)
          if (seen.has(ref)) continue
          seen.add(ref)
          aliases.push(decoded.right)
        }
        const total = Number(answer.headers.get("x-total-count") ?? Number.NaN)
        const done = Number.isFinite(total)
          ? offset + answer.value.length >= total || answer.value.length === 0
          : answer.value.length < aliasPageSize
        if (done) return { aliases, skipped }
      }
      return yield* Effect.fail(
        new St2UndecodableBody({
          method: "GET",
          path: new URL(`${endpoints.apiUrl}/actionalias`).pathname,
          status: 200,
          detail: `more than ${maxAliasPages} pages of aliases: the server seems to ignore offset`,
        }),
      )
    })

  return {
    createToken: (basic, options = {}) =>
      tokenRequest(basic, options.ttl === undefined ? {} : { ttl: options.ttl }),
    impersonate: (service, target, options = {}) =>
      tokenRequest(service, {
        ...("user" in target
          ? { user: target.user }
          : { impersonate_user: target.nickname, nickname_origin: target.origin }),
        ...(options.ttl === undefined ? {} : { ttl: options.ttl }),
      }),
    validateToken: (credential, token) =>
      send(
        {
          method: "POST",
          base: endpoints.authUrl,
          path: "/tokens/validate",
          headers: credentialHeaders(credential),
          body: { token: Redacted.value(token) },
        },
        TokenValidation,
      ).pipe(Effect.map((a) => a.value.valid)),
    currentUser: (credential) => value(send(api(credential, "GET", "/user"), St2User)),
    listAliases,
    aliasHelp: (credential, query = {}) =>
      value(
        send(
          api(credential, "GET", "/actionalias/help", {
            query: { filter: query.filter, pack: query.pack, limit: query.limit, offset: query.offset },
          }),
          AliasHelp,
        ),
      ),
    matchAlias: (credential, command) =>
      value(send(api(credential, "POST", "/actionalias/match", { body: { command } }), AliasMatch)),
    executeAlias: (credential, request) =>
      Effect.async((resume) =>
        Effect.sync(executeAliasNow(credential, request, (outcome) => resume(outcome))),
      ),
    executeAliasNow,
    matchAndExecute: (credential, request) =>
      value(
        send(
          api(credential, "POST", "/aliasexecution/match_and_execute", { body: request }),
          MatchAndExecuteResult,
        ),
      ),
    getExecution: (credential, id) =>
      value(send(api(credential, "GET", `/executions/${seg(id)}`), Execution)),
    listInquiries: (credential, options = {}) =>
      value(
        send(
          api(credential, "GET", "/inquiries", { query: { limit: options.limit } }),
          Schema.Array(Inquiry),
        ),
      ),
    getInquiry: (credential, id) => value(send(api(credential, "GET", `/inquiries/${seg(id)}`), Inquiry)),
    respondInquiry: (credential, id, response) =>
      value(
        send(api(credential, "PUT", `/inquiries/${seg(id)}`, { body: { id, response } }), InquiryResponse),
      ),
  }
}

/** How long closing the transport may wait for in-flight requests before it destroys them. */
const closeGraceMs = 2000

/**
 * The client with its own transport (TLS per `endpoints`, keep-alive, a bounded pool), closed when
 * the layer's scope ends.
 */
export const St2ClientLive = (endpoints: St2Endpoints): Layer.Layer<St2Client> =>
  Layer.scoped(
    St2Client,
    Effect.acquireRelease(
      Effect.sync(() => makeDispatcher(endpoints, { maxResponseBytes: endpoints.maxResponseBytes })),
      (dispatcher) =>
        Effect.promise(() => dispatcher.close()).pipe(
          Effect.timeout(`${closeGraceMs} millis`),
          Effect.catchAll(() => Effect.promise(() => dispatcher.destroy())),
        ),
    ).pipe(Effect.map((dispatcher) => makeSt2Client(endpoints, dispatcher))),
  )
