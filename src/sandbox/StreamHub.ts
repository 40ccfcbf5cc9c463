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
  heartbeat: NodeJS.Timeout | undefined
}

const field = (data: unknown, key: string): unknown =>
  data !== null && typeof data === "object" ? (data as Record<string, unknown>)[key] : undefined

/**
 * The open `/stream/v1/stream` connections. Frames are exactly `event: <name>\ndata: <json>\n\n`
 * (no `id:`, no `retry:`); a bare `\n` is sent at connect and after every `heartbeatMs` of silence.
 */
export class StreamHub {
  readonly #subscribers = new Set<Subscriber>()

  constructor(private readonly heartbeatMs: number) {}

  get size(): number {
    return this.#subscribers.size
  }

  /** Takes over `res` (headers already decided by the caller) until the client or `dropAll` ends it. */
  subscribe(res: ServerResponse, filter: StreamFilter): void {
    const sub: Subscriber = { res, filter, heartbeat: undefined }
    this.#subscribers.add(sub)
    res.on("close", () => {
      clearTimeout(sub.heartbeat)
      this.#subscribers.delete(sub)
    })
    this.#write(sub, "\n")
  }

  publish(event: string, data: unknown): void {
    // Serialised only when someone wants it: most events (every execution update) have no
    // subscriber, and stringifying whole execution records was a large part of a burst's cost.
    let frame: string | undefined
    for (const sub of this.#subscribers) {
      if (this.#wants(sub.filter, event, data)) {
        frame ??= `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
        this.#write(sub, frame)
      }
    }
  }

  /** Destroys every open stream connection (the client sees a reset, not a clean end). */
  dropAll(): void {
    for (const sub of this.#subscribers) {
      clearTimeout(sub.heartbeat)
      sub.res.destroy()
    }
    this.#subscribers.clear()
  }

  #write(sub: Subscriber, text: string): void {
    if (sub.res.destroyed) return
    sub.res.write(text)
    clearTimeout(sub.heartbeat)
    sub.heartbeat = setTimeout(() => this.#write(sub, "\n"), this.heartbeatMs)
    sub.heartbeat.unref()
  }

  #wants(filter: StreamFilter, event: string, data: unknown): boolean {
    if (!filter.events.some((re) => re.test(event))) return false
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
