import type { ServerResponse } from "node:http"

/** The events a stream gets when it names none, as st2stream's default whitelist. */
export const DEFAULT_STREAM_EVENTS: ReadonlyArray<string> = [
  "st2.announcement__*",
  "st2.execution__create",
  "st2.execution__update",
  "st2.execution__delete",
  "st2.liveaction__create",
  "st2.liveaction__update",
  "st2.liveaction__delete",
]

/** Python's `fnmatch` (case-sensitive): `*`, `?`, `[seq]`, `[!seq]`. */
export const globToRegExp = (glob: string): RegExp => {
  let re = ""
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === "*") re += ".*"
    else if (c === "?") re += "."
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2)
      if (end === -1) re += "\\["
      else {
        let body = glob.slice(i + 1, end).replaceAll("\\", "\\\\")
        if (body.startsWith("!")) body = `^${body.slice(1)}`
        re += `[${body}]`
        i = end
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")
  }
  return new RegExp(`^${re}$`, "s")
}

export interface StreamFilter {
  readonly events: ReadonlyArray<RegExp>
  readonly actionRefs: ReadonlyArray<string>
  readonly executionIds: ReadonlyArray<string>
}

interface Subscriber {
  readonly res: ServerResponse
  readonly filter: StreamFilter
  /** Which event names pass `filter.events`, by name (bounded: announcement routes are free text). */
  readonly wanted: Map<string, boolean>
  /** Frames queued since the last flush. */
  pending: string
  heartbeat: NodeJS.Timeout | undefined
}

const field = (data: unknown, key: string): unknown =>
  data !== null && typeof data === "object" ? (data as Record<string, unknown>)[key] : undefined

const maxWantedNames = 1000

/**
 * The open `/stream/v1/stream` connections. Frames are exactly `event: <name>\ndata: <json>\n\n`
 * (no `id:`, no `retry:`); a bare `\n` is sent at connect and after every `heartbeatMs` of silence.
 *
 * Frames published during one turn of the event loop reach each connection in one write, in
 * publication order, at the end of that turn (`setImmediate`): a burst of executions finishing
 * in the same timer phase costs one chunk per connection, not one per event.
 */
export class StreamHub {
  readonly #subscribers = new Set<Subscriber>()
  readonly #dirty: Subscriber[] = []
  #flushScheduled = false

  constructor(private readonly heartbeatMs: number) {}

  get size(): number {
    return this.#subscribers.size
  }

  /** Takes over `res` (headers already decided by the caller) until the client or `dropAll` ends it. */
  subscribe(res: ServerResponse, filter: StreamFilter): void {
    const sub: Subscriber = { res, filter, wanted: new Map(), pending: "", heartbeat: undefined }
    this.#subscribers.add(sub)
    res.on("close", () => {
      clearTimeout(sub.heartbeat)
      sub.pending = ""
      this.#subscribers.delete(sub)
    })
    if (res.destroyed) return
    res.write("\n")
    sub.heartbeat = setTimeout(() => this.#beat(sub), this.heartbeatMs)
    sub.heartbeat.unref()
  }

  publish(event: string, data: unknown): void {
    this.publishLazy(event, () => data)
  }

  /**
   * `publish`, building the data only if some connection wants `event`: most events (every
   * execution update) have no subscriber, and building and serialising whole execution records
   * for nobody was a large part of a burst's cost. `make` runs at most once, synchronously.
   */
  publishLazy(event: string, make: () => unknown): void {
    let made = false
    let data: unknown
    let frame: string | undefined
    for (const sub of this.#subscribers) {
      if (!this.#wantsEvent(sub, event)) continue
      if (!made) {
        data = make()
        made = true
      }
      if (!this.#passesFilters(sub.filter, event, data)) continue
      frame ??= `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
      this.#enqueue(sub, frame)
    }
  }

  /** Destroys every open stream connection (the client sees a reset, not a clean end). */
  dropAll(): void {
    this.#flush()
    for (const sub of this.#subscribers) {
      clearTimeout(sub.heartbeat)
      sub.res.destroy()
    }
    this.#subscribers.clear()
  }

  #enqueue(sub: Subscriber, frame: string): void {
    if (sub.res.destroyed) return
    if (sub.pending === "") this.#dirty.push(sub)
    sub.pending += frame
    if (!this.#flushScheduled) {
      this.#flushScheduled = true
      setImmediate(this.#flush)
    }
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false
    for (const sub of this.#dirty) {
      const text = sub.pending
      sub.pending = ""
      if (text === "" || sub.res.destroyed) continue
      sub.res.write(text)
      sub.heartbeat?.refresh()
    }
    this.#dirty.length = 0
  }

  #beat(sub: Subscriber): void {
    if (sub.res.destroyed) return
    sub.res.write("\n")
    sub.heartbeat?.refresh()
  }

  #wantsEvent(sub: Subscriber, event: string): boolean {
    let wanted = sub.wanted.get(event)
    if (wanted === undefined) {
      wanted = sub.filter.events.some((re) => re.test(event))
      if (sub.wanted.size >= maxWantedNames) sub.wanted.clear()
      sub.wanted.set(event, wanted)
    }
    return wanted
  }

  #passesFilters(filter: StreamFilter, event: string, data: unknown): boolean {
    const isExecution = event.startsWith("st2.execution__")
    const isLiveaction = event.startsWith("st2.liveaction__")
    if (!isExecution && !isLiveaction) return true
    if (filter.actionRefs.length > 0) {
      const ref = isExecution ? field(field(data, "action"), "ref") : field(data, "action")
      if (!filter.actionRefs.includes(String(ref))) return false
    }
    if (filter.executionIds.length > 0) {
      const id = isExecution ? field(data, "id") : field(field(data, "context"), "execution_id")
      if (!filter.executionIds.includes(String(id))) return false
    }
    return true
  }
}
