import { Either } from "effect"
import type { AliasIndex } from "../aliases/AliasIndex.ts"
import { extractParameters } from "../aliases/extractParameters.ts"
import type { ActionAlias } from "../st2/ActionAlias.ts"
import { type AliasStore, formatStrings } from "./AliasStore.ts"
import type { ActionSpec, ParameterSpec } from "./builtinActions.ts"
import { castParameters } from "./castParameters.ts"
import type { AuthInfo } from "./Credentials.ts"
import type { Executions, NotifyOnComplete } from "./Executions.ts"
import { type HttpError, httpError, isHttpError, notFound } from "./HttpError.ts"
import { json, page, pagination, type Reply } from "./http.ts"
import { isoSeconds } from "./ids.ts"
import { renderJinja, renderValues, TemplateError } from "./jinja.ts"
import { schemas, validateBody } from "./validateBody.ts"

type Json = Record<string, unknown>

export interface ApiDeps {
  readonly aliases: AliasStore
  readonly index: AliasIndex
  readonly actions: ReadonlyMap<string, ActionSpec>
  readonly executions: Executions
}

export interface ApiRequest {
  readonly method: string
  /** The path after `/v1`, without a trailing slash, e.g. `/actionalias/help`. */
  readonly path: string
  readonly query: URLSearchParams
  readonly auth: AuthInfo
  readonly body: unknown
}

const pick = (obj: Json, fields: ReadonlyArray<string>): Json =>
  Object.fromEntries(Object.entries(obj).filter(([k]) => k === "id" || fields.includes(k)))

const attributes = (items: ReadonlyArray<Json>, query: URLSearchParams): Json[] => {
  const include = query
    .getAll("include_attributes")
    .flatMap((v) => v.split(","))
    .filter((v) => v !== "")
  const exclude = query
    .getAll("exclude_attributes")
    .flatMap((v) => v.split(","))
    .filter((v) => v !== "")
  return items.map((item) => {
    const kept = include.length > 0 ? pick(item, include) : item
    return exclude.length > 0
      ? Object.fromEntries(Object.entries(kept).filter(([k]) => !exclude.includes(k)))
      : kept
  })
}

/** st2's ack rendering in `aliasexecution._post`: `ack.format` → `message`, `ack.extra` → `extra`. */
const renderAck = (alias: ActionAlias, result: Json): Json => {
  const out: Json = {}
  const ack = alias.ack
  if (ack === undefined) return out
  if (ack.format !== undefined) {
    try {
      out.message = renderJinja(ack.format, result, true)
    } catch (e) {
      out.message = `Cannot render "format" in field "ack" for alias. ${e instanceof TemplateError ? e.message : String(e)}`
    }
  }
  if (ack.extra !== undefined) {
    try {
      out.extra = renderValues(ack.extra, result)
    } catch (e) {
      out.extra = `Cannot render "extra" in field "ack" for alias. ${e instanceof TemplateError ? e.message : String(e)}`
    }
  }
  return out
}

interface ExecutionInput {
  readonly name: string
  readonly format: string
  readonly command: string
  readonly user?: string
  readonly source_channel: string
  readonly source_context?: Json
  readonly notification_channel?: string
  readonly notification_route?: string
}

const specsCache = new WeakMap<ActionSpec, Record<string, ParameterSpec>>()
/** An action's parameters over its runner's, as st2 merges them (fixed per built-in action). */
const parameterSpecs = (action: ActionSpec): Record<string, ParameterSpec> => {
  let specs = specsCache.get(action)
  if (specs === undefined) {
    specs = { ...action.runner.runner_parameters, ...action.parameters }
    specsCache.set(action, specs)
  }
  return specs
}

/** `ActionAliasExecutionController._post`, in st2's order of checks. */
const executeAlias = (
  deps: ApiDeps,
  input: ExecutionInput,
  requester: string,
  paramSets: ReadonlyArray<Json> | undefined,
): Json[] | HttpError => {
  const alias = deps.aliases.byName(input.name)
  if (alias === undefined) return httpError(404, `Unable to identify action alias with name "${input.name}".`)
  if (alias.enabled === false) return httpError(400, `Action alias with name "${input.name}" is disabled.`)
  let sets: ReadonlyArray<Json>
  if (paramSets !== undefined) sets = paramSets
  else {
    if (!formatStrings(alias).includes(input.format)) {
      return httpError(400, `Format string "${input.format}" is not available on the alias "${alias.name}"`)
    }
    const extracted = extractParameters(input.format, input.command)
    if (Either.isLeft(extracted)) return httpError(400, extracted.left.message)
    sets = [extracted.right]
  }
  const route = input.notification_route || input.notification_channel || null
  const notify: NotifyOnComplete = {
    routes: [route],
    data: {
      user: input.user ?? null,
      source_channel: input.source_channel,
      source_context: input.source_context ?? null,
    },
  }
  const context: Json = {
    action_alias_ref: { id: alias.id, name: alias.name },
    api_user: input.user ?? null,
    user: requester,
    source_channel: input.source_channel,
  }
  const immutable = alias.immutable_parameters ?? {}
  const immutableKeys = Object.keys(immutable)
  const prepared: Json[] = []
  for (const set of sets) {
    const overridden = immutableKeys.filter((k) => k in set)
    if (overridden.length > 0)
      return httpError(400, `Immutable arguments cannot be overriden: ${overridden.join(",")}`)
    // `set` is this request's own (extracted or matched just now): castParameters copies it anyway.
    prepared.push(immutableKeys.length > 0 ? { ...set, ...renderValues(immutable, { ...context }) } : set)
  }
  const action = deps.actions.get(alias.action_ref)
  if (action === undefined) return httpError(404, `Action with ref "${alias.action_ref}" not found `)
  const specs = parameterSpecs(action)
  const casted: Json[] = []
  for (const set of prepared) {
    const params = castParameters(set, specs)
    if (isHttpError(params)) return params
    casted.push(params)
  }
  return casted.map((parameters) => {
    const execution = deps.executions.schedule({ action, parameters, context, notify, alias })
    const result: Json = { execution, actionalias: alias }
    return { ...result, ...renderAck(alias, result) }
  })
}

const validated = <T>(body: unknown, schema: Parameters<typeof validateBody>[1]): T | HttpError =>
  validateBody(body ?? {}, schema) ?? (body as T)

/** The st2api endpoints a chat bot uses. Answers undefined for a path it does not serve. */
export const apiRoute = (deps: ApiDeps, r: ApiRequest): Reply | HttpError | undefined => {
  const { method, path, query } = r
  const segments = path.split("/").filter((s) => s !== "")
  const [first, second, third] = segments
  if (method === "GET" && path === "/user") {
    const authentication: Json = { method: r.auth.method, location: r.auth.location }
    if (r.auth.token !== undefined) authentication.token_expire = isoSeconds(r.auth.token.expiry)
    return json(200, {
      username: r.auth.user,
      authentication,
      rbac: { enabled: false, roles: [], is_admin: true },
    })
  }
  if (first === "actionalias") {
    if (segments.length === 1 && method === "GET") {
      const p = pagination(query)
      if (isHttpError(p)) return p
      const pack = query.get("pack")
      const name = query.get("name")
      const items = deps.aliases.all.filter(
        (a) => (pack === null || a.pack === pack) && (name === null || a.name === name),
      )
      return page(attributes(items as unknown as Json[], query), p)
    }
    if (second === "help" && segments.length === 2 && method === "GET") {
      const p = pagination(query)
      if (isHttpError(p)) return p
      const q: { pack?: string; filter?: string; limit?: number; offset?: number } = {
        limit: p.limit,
        offset: p.offset,
      }
      const pack = query.get("pack")
      const filter = query.get("filter")
      if (pack !== null && pack !== "") q.pack = pack
      if (filter !== null && filter !== "") q.filter = filter
      try {
        return json(200, deps.index.help(q))
      } catch (e) {
        return httpError(400, e instanceof Error ? e.message : String(e))
      }
    }
    if (second === "match" && segments.length === 2 && method === "POST") {
      const body = validated<{ command: string }>(r.body, schemas.aliasMatch)
      if (isHttpError(body)) return body
      const m = deps.index.match(body.command)
      if (m._tag !== "Matched") return httpError(400, m.message)
      return json(200, { actionalias: m.alias, display: m.display, representation: m.format })
    }
    if (segments.length === 2 && method === "GET" && second !== undefined) {
      const alias = deps.aliases.byRefOrId(decodeURIComponent(second))
      return alias === undefined
        ? httpError(404, `Resource with a reference or id "${decodeURIComponent(second)}" not found`)
        : json(200, alias)
    }
    return undefined
  }
  if (first === "aliasexecution") {
    if (segments.length === 1 && method === "POST") {
      if (r.body === undefined) return httpError(400, 'Alias execution "name" is required')
      const body = validated<ExecutionInput>(r.body, schemas.aliasExecution)
      if (isHttpError(body)) return body
      const results = executeAlias(deps, body, r.auth.user, undefined)
      return isHttpError(results) ? results : json(201, results[0])
    }
    if (second === "match_and_execute" && segments.length === 2 && method === "POST") {
      const body = validated<Omit<ExecutionInput, "name" | "format" | "source_context">>(
        r.body,
        schemas.matchAndExecute,
      )
      if (isHttpError(body)) return body
      const m = deps.index.match(body.command)
      if (m._tag !== "Matched") return httpError(400, m.message)
      const results = executeAlias(
        deps,
        { ...body, name: m.alias.name, format: m.format },
        r.auth.user,
        m.executions,
      )
      return isHttpError(results) ? results : json(201, { results })
    }
    return undefined
  }
  if (first === "executions") {
    if (segments.length === 1 && method === "GET") {
      const p = pagination(query)
      if (isHttpError(p)) return p
      const action = query.get("action")
      const status = query.get("status")
      const user = query.get("user")
      const items = deps.executions
        .all()
        .filter(
          (e) =>
            (action === null || (e.action as Json).ref === action) &&
            (status === null || e.status === status) &&
            (user === null || (e.context as Json | undefined)?.user === user),
        )
      return page(attributes(items, query), p)
    }
    if (segments.length === 2 && method === "GET" && second !== undefined) {
      const execution = deps.executions.get(second)
      return execution === undefined
        ? httpError(404, `Unable to identify resource with id "${second}".`)
        : json(200, attributes([execution], query)[0])
    }
    return undefined
  }
  if (first === "inquiries") {
    if (segments.length === 1 && method === "GET") {
      const p = pagination(query, 20)
      if (isHttpError(p)) return p
      return page(deps.executions.inquiries(), p)
    }
    if (segments.length === 2 && second !== undefined && third === undefined) {
      if (method === "GET") {
        const inquiry = deps.executions.inquiry(second)
        return isHttpError(inquiry) ? inquiry : json(200, inquiry)
      }
      if (method === "PUT") {
        const body = validated<{ id: string; response: Json }>(r.body, schemas.inquiryResponse)
        if (isHttpError(body)) return body
        const answer = deps.executions.respond(second, body.response, r.auth.user)
        return isHttpError(answer) ? answer : json(200, answer)
      }
    }
    return undefined
  }
  return undefined
}

export const apiNotFound = notFound
