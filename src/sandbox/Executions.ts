import { hostname } from "node:os"
import type { ActionAlias } from "../st2/ActionAlias.ts"
import type { ActionSpec } from "./builtinActions.ts"
import { renderDefaultResult } from "./defaultResultTemplate.ts"
import { httpError, type HttpError } from "./HttpError.ts"
import { isoMicros, objectId } from "./ids.ts"
import { renderJinja, renderValues, six } from "./jinja.ts"
import { jsonSchemaValid } from "./jsonSchemaValid.ts"

/** os.hostname() is a system call; it was a tenth of the sandbox's CPU in a burst. Read once a second at most. */
let hostnameCache: { readonly name: string; readonly at: number } | undefined
const runnerHostname = (): string => {
  const now = Date.now()
  if (hostnameCache === undefined || now - hostnameCache.at > 1000)
    hostnameCache = { name: hostname(), at: now }
  return hostnameCache.name
}

type Json = Record<string, unknown>

export const FINISHED_STATUSES = ["succeeded", "failed", "timeout", "canceled", "abandoned"] as const

/** `notify.on_complete` as st2's alias execution attaches it. */
export interface NotifyOnComplete {
  readonly routes: ReadonlyArray<string | null>
  readonly data: { user: string | null; source_channel: string | null; source_context: unknown }
}

interface ExecutionRecord {
  readonly id: string
  readonly liveactionId: string
  readonly action: ActionSpec
  readonly parameters: Json
  readonly context: Json
  readonly notify: NotifyOnComplete | undefined
  readonly alias: ActionAlias | undefined
  status: string
  readonly start: Date
  /** `start` and `end` in st2's format, computed once: records are rendered many times. */
  readonly startIso: string
  end: Date | undefined
  endIso: string | undefined
  /** `liveaction.notify`, fixed at scheduling. */
  readonly notifyJson: Json | undefined
  result: unknown
  readonly log: Array<{ status: string; timestamp: string }>
}

/** The chatops announcement event a notification route lands on (see the chatops pack rules). */
export const announcementEvent = (route: string): string =>
  `st2.announcement__${route === "hubot" ? "chatops" : route}`

/** Whether `value` has an own enumerable key (`Object.keys(value).length > 0`, without the array). */
const hasKeys = (value: object): boolean => {
  for (const k in value) if (Object.hasOwn(value, k)) return true
  return false
}

/** Sets `doc[key]` unless `value` is falsy: `ActionExecutionAPI.from_model` drops falsy top-level fields. */
const put = (doc: Json, key: string, value: unknown): void => {
  if (value === undefined || value === null || value === false || value === 0 || value === "") return
  if (Array.isArray(value) ? value.length === 0 : typeof value === "object" && !hasKeys(value)) return
  doc[key] = value
}

/** What `toApi` shows of an action and of its runner: fixed per action, so built once and shared. */
interface ActionJson {
  readonly ref: string
  readonly action: Json
  readonly runner: Json
}
const actionJsonCache = new WeakMap<ActionSpec, ActionJson>()
const actionJson = (action: ActionSpec): ActionJson => {
  let cached = actionJsonCache.get(action)
  if (cached === undefined) {
    const ref = `${action.pack}.${action.name}`
    cached = {
      ref,
      action: {
        id: objectId.stable(ref),
        ref,
        uid: `action:${action.pack}:${action.name}`,
        name: action.name,
        pack: action.pack,
        description: action.description,
        enabled: true,
        entry_point: "",
        runner_type: action.runner.name,
        parameters: action.parameters,
      },
      runner: {
        id: objectId.stable(action.runner.name),
        uid: `runner_type:${action.runner.name}`,
        name: action.runner.name,
        description: action.runner.description,
        enabled: true,
        runner_module: action.runner.runner_module,
        runner_parameters: action.runner.runner_parameters,
      },
    }
    actionJsonCache.set(action, cached)
  }
  return cached
}

const notifyJson = (notify: NotifyOnComplete | undefined): Json | undefined => {
  if (notify === undefined) return undefined
  const data: Json = { source_channel: notify.data.source_channel, user: notify.data.user }
  if (notify.data.source_context !== undefined && notify.data.source_context !== null)
    data.source_context = notify.data.source_context
  return { "on-complete": { data, routes: notify.routes } }
}

export interface ExecutionsOptions {
  readonly resultDelayMs: number
  readonly webUiUrl: () => string
  /** Publishes `event` on the stream; `data` is called (once, at once) only if a stream wants it. */
  readonly publish: (event: string, data: () => unknown) => void
}

/**
 * Executions of built-in actions: `requested` → `scheduled` → `running` → final after
 * `resultDelayMs` (or `pending` for an inquiry, until it is answered), each step published on the
 * stream. A finished execution with a notification route goes through the chatops pack's
 * `post_result`: the alias's `result.format` (or the default template) is rendered and announced.
 */
export class Executions {
  readonly #records = new Map<string, ExecutionRecord>()
  readonly #timers = new Set<NodeJS.Timeout>()
  #webUiBase: { readonly raw: string; readonly base: string } | undefined
  /** Steps due on the next timer turn; one timer serves all of them (see `#soon`). */
  #soonQueue: Array<() => void> = []

  constructor(private readonly options: ExecutionsOptions) {}

  schedule(input: {
    action: ActionSpec
    parameters: Json
    context: Json
    notify?: NotifyOnComplete
    alias?: ActionAlias
  }): Json {
    const now = new Date()
    const nowIso = isoMicros(now)
    const record: ExecutionRecord = {
      id: objectId(),
      liveactionId: objectId(),
      action: input.action,
      parameters: input.parameters,
      context: input.context,
      notify: input.notify,
      alias: input.alias,
      status: "requested",
      start: now,
      startIso: nowIso,
      end: undefined,
      endIso: undefined,
      notifyJson: notifyJson(input.notify),
      result: undefined,
      log: [{ status: "requested", timestamp: nowIso }],
    }
    this.#records.set(record.id, record)
    this.#publish(record, "create")
    this.#soon(() => {
      this.#setStatus(record, "scheduled")
      this.#soon(() => {
        this.#setStatus(record, "running")
        this.#after(this.options.resultDelayMs, () => this.#run(record))
      })
    })
    return this.toApi(record)
  }

  get(id: string): Json | undefined {
    const record = this.#records.get(id)
    return record === undefined ? undefined : this.toApi(record)
  }

  /** Newest first, as `GET /api/v1/executions` sorts by default. */
  all(): Json[] {
    return [...this.#records.values()].reverse().map((r) => this.toApi(r))
  }

  inquiries(): Json[] {
    return [...this.#records.values()]
      .reverse()
      .filter((r) => r.status === "pending" && r.action.runner.name === "inquirer")
      .map((r) => this.#inquiryJson(r))
  }

  inquiry(id: string): Json | HttpError {
    const record = this.#inquiryRecord(id)
    if ("_tag" in record) return record
    const late = this.#checkInquiry(record)
    return late ?? this.#inquiryJson(record)
  }

  /** `PUT /api/v1/inquiries/{id}` as st2's controller orders its checks. */
  respond(id: string, response: Json, user: string): Json | HttpError {
    const record = this.#inquiryRecord(id)
    if ("_tag" in record) return record
    const late = this.#checkInquiry(record)
    if (late !== undefined) return late
    const result = record.result as Json
    const users = (result.users as string[] | undefined) ?? []
    if (users.length > 0 && !users.includes(user)) {
      return httpError(
        403,
        `User "${user}" doesn't have required permission "inquiry_respond" on resource "inquiry"`,
      )
    }
    if (!jsonSchemaValid(response, (result.schema ?? {}) as Json)) {
      return httpError(400, `Response for inquiry "${id}" did not pass schema validation.`)
    }
    record.result = { ...result, response }
    this.#finish(record, "succeeded")
    return { id, response }
  }

  /** Times out every pending inquiry, as st2's garbage collector does once their ttl passes. */
  expireInquiries(): void {
    for (const record of this.#records.values()) {
      if (record.status === "pending" && record.action.runner.name === "inquirer")
        this.#finish(record, "timeout")
    }
  }

  /** Stops pending timers (the sandbox is going away for good). */
  dispose(): void {
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
    this.#soonQueue = []
  }

  toApi(record: ExecutionRecord): Json {
    const { ref, action, runner } = actionJson(record.action)
    const doc: Json = {}
    put(doc, "id", record.id)
    put(doc, "action", action)
    put(doc, "runner", runner)
    put(doc, "liveaction", this.#liveaction(record, ref, false))
    put(doc, "status", record.status)
    put(doc, "start_timestamp", record.startIso)
    put(doc, "end_timestamp", record.endIso)
    if (record.end !== undefined)
      put(doc, "elapsed_seconds", Math.round((record.end.getTime() - record.start.getTime()) * 1000) / 1e6)
    put(doc, "parameters", record.parameters)
    put(doc, "context", record.context)
    put(doc, "result", record.result)
    put(doc, "web_url", `${this.#webUi()}/#/history/${record.id}/general`)
    put(doc, "log", record.log)
    return doc
  }

  /** `webUiUrl` without a trailing `/` (recomputed only when the URL changes). */
  #webUi(): string {
    const raw = this.options.webUiUrl()
    if (this.#webUiBase?.raw !== raw) this.#webUiBase = { raw, base: raw.replace(/\/$/, "") }
    return this.#webUiBase.base
  }

  #liveaction(record: ExecutionRecord, ref: string, full: boolean): Json {
    const base: Json = {
      action: ref,
      action_is_workflow: false,
      callback: {},
      id: record.liveactionId,
      parameters: record.parameters,
      runner_info: { hostname: runnerHostname(), pid: process.pid },
    }
    if (record.notifyJson !== undefined) base.notify = record.notifyJson
    if (!full) return base
    base.status = record.status
    base.start_timestamp = record.startIso
    if (record.endIso !== undefined) base.end_timestamp = record.endIso
    base.context = { ...record.context, execution_id: record.id }
    if (record.result !== undefined) base.result = record.result
    return base
  }

  /** Each step's two events; the records are built only if a stream wants them. */
  #publish(record: ExecutionRecord, kind: "create" | "update"): void {
    this.options.publish(`st2.execution__${kind}`, () => this.toApi(record))
    this.options.publish(`st2.liveaction__${kind}`, () =>
      this.#liveaction(record, actionJson(record.action).ref, true),
    )
  }

  /**
   * `#after(0, fn)` for many steps at once: steps queued before the timer fires run together, in
   * the order queued, with one timer rather than one each.
   */
  #soon(fn: () => void): void {
    if (this.#soonQueue.length === 0) {
      this.#after(0, () => {
        const due = this.#soonQueue
        this.#soonQueue = []
        for (const step of due) step()
      })
    }
    this.#soonQueue.push(fn)
  }

  #after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t)
      fn()
    }, ms)
    t.unref()
    this.#timers.add(t)
  }

  #setStatus(record: ExecutionRecord, status: string): void {
    record.status = status
    record.log.push({ status, timestamp: isoMicros(new Date()) })
    this.#publish(record, "update")
  }

  #run(record: ExecutionRecord): void {
    let outcome: ReturnType<ActionSpec["run"]>
    try {
      outcome = record.action.run(record.parameters)
    } catch (e) {
      outcome = { status: "failed", result: { error: e instanceof Error ? e.message : String(e) } }
    }
    record.result = outcome.result
    if (outcome.status === "pending") this.#setStatus(record, "pending")
    else this.#finish(record, outcome.status)
  }

  #finish(record: ExecutionRecord, status: string): void {
    record.end = new Date()
    record.endIso = isoMicros(record.end)
    this.#setStatus(record, status)
    this.#notify(record)
  }

  #inquiryRecord(id: string): ExecutionRecord | HttpError {
    const record = this.#records.get(id)
    if (record === undefined || record.action.runner.name !== "inquirer")
      return httpError(404, `Unable to identify resource with id "${id}".`)
    return record
  }

  #checkInquiry(record: ExecutionRecord): HttpError | undefined {
    if (record.status === "timeout")
      return httpError(400, `Inquiry "${record.id}" timed out and cannot be responded to.`)
    if (record.status !== "pending")
      return httpError(400, `Inquiry "${record.id}" has already been responded to.`)
    return undefined
  }

  #inquiryJson(record: ExecutionRecord): Json {
    const r = (record.result ?? {}) as Json
    return {
      id: record.id,
      route: r.route ?? "",
      ttl: r.ttl ?? 1440,
      users: r.users ?? [],
      roles: r.roles ?? [],
      schema: r.schema ?? {},
    }
  }

  /** The chatops pack: `notify_<route>` rule → `chatops.post_result` → `chatops.post_message`. */
  #notify(record: ExecutionRecord): void {
    const notify = record.notify
    if (notify === undefined) return
    for (const route of notify.routes) {
      if (route === null || route === "") continue
      const execution = this.toApi(record)
      const alias = record.alias
      const resultSpec = alias?.result
      if (resultSpec !== undefined && resultSpec.enabled === false) continue
      const context: Json = { six, execution, ...(alias === undefined ? {} : { alias }) }
      let message: string
      let extra: unknown = {}
      try {
        message =
          resultSpec?.format !== undefined
            ? renderJinja(resultSpec.format, context)
            : renderDefaultResult(execution)
        if (resultSpec?.extra !== undefined) extra = renderValues(resultSpec.extra, context)
      } catch {
        // st2's format_execution_result action fails and nothing is announced.
        continue
      }
      this.options.publish(announcementEvent(route), () => ({
        payload: {
          message,
          channel: notify.data.source_channel ?? null,
          user: notify.data.user ?? null,
          whisper: false,
          extra,
          context: notify.data.source_context ?? null,
        },
        trace_context: null,
      }))
    }
  }
}
