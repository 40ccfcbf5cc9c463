import { Worker } from "node:worker_threads"
import type { FormatMatch } from "./CompiledFormat.ts"
import type { SlowJob, SlowOutcome } from "./SlowMatch.ts"

/**
 * The worker's whole program (static text; patterns and commands only ever arrive as message
 * data). It runs the JavaScript RegExp of a format: `exec` for the first match, `matchAll` for
 * every one, answering as `FormatMatch`es.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads")
parentPort.on("message", ({ id, source, all, stream }) => {
  let matches = []
  try {
    const re = new RegExp(source, all ? "gus" : "us")
    const found = all ? Array.from(stream.matchAll(re)) : [re.exec(stream)].filter((m) => m !== null)
    matches = found.map((m) => ({ index: m.index, text: m[0], groups: m.groups ? { ...m.groups } : {} }))
  } catch {}
  parentPort.postMessage({ id, matches })
})
`

/** Jobs waiting beyond this many are not queued: they time out at once (the worker is swamped). */
const MAX_WAITING = 32

interface Pending {
  readonly job: SlowJob
  readonly resolve: (outcome: SlowOutcome) => void
}

/**
 * Runs the formats the linear matcher cannot take (back-references) on the JavaScript engine in
 * a worker thread, one job at a time, each within `timeoutMs`: when one runs out of time the
 * worker is terminated (the only way to stop a running RegExp) and the next job gets a fresh
 * one. Started on the first job; `close` terminates it. Never rejects: a job that cannot finish
 * (time, a crashed worker, too many waiting) is `TimedOut`.
 */
export class RegexWorker {
  private worker: Worker | undefined
  private current: (Pending & { readonly id: number; readonly timer: NodeJS.Timeout }) | undefined
  private readonly waiting: Array<Pending> = []
  private nextId = 0
  private closed = false

  constructor(readonly timeoutMs: number) {}

  run(job: SlowJob): Promise<SlowOutcome> {
    return new Promise((resolve) => {
      if (this.closed || this.waiting.length >= MAX_WAITING) return resolve({ _tag: "TimedOut" })
      this.waiting.push({ job, resolve })
      this.next()
    })
  }

  /** Ends the worker; jobs still waiting time out. */
  async close(): Promise<void> {
    this.closed = true
    const current = this.current
    if (current !== undefined) this.finish(current.id, { _tag: "TimedOut" })
    for (const p of this.waiting.splice(0)) p.resolve({ _tag: "TimedOut" })
    const worker = this.worker
    this.worker = undefined
    if (worker !== undefined) await worker.terminate()
  }

  private next(): void {
    if (this.current !== undefined || this.closed) return
    const pending = this.waiting.shift()
    if (pending === undefined) return
    const worker = this.started()
    const id = ++this.nextId
    const timer = setTimeout(() => {
      // A runaway RegExp cannot be interrupted: the worker goes, the next job starts a new one.
      this.stop()
      this.finish(id, { _tag: "TimedOut" })
    }, this.timeoutMs)
    this.current = { ...pending, id, timer }
    worker.postMessage({
      id,
      source: pending.job.format.regex.source,
      all: pending.job.all,
      stream: pending.job.stream,
    })
  }

  private started(): Worker {
    if (this.worker !== undefined) return this.worker
    const worker = new Worker(WORKER_SOURCE, { eval: true })
    worker.unref()
    worker.on("message", (m: { readonly id: number; readonly matches: ReadonlyArray<FormatMatch> }) =>
      this.finish(m.id, { _tag: "Matched", matches: m.matches }),
    )
    const lost = () => {
      if (this.worker !== worker) return
      this.worker = undefined
      if (this.current !== undefined) this.finish(this.current.id, { _tag: "TimedOut" })
    }
    worker.on("error", lost)
    worker.on("exit", lost)
    this.worker = worker
    return worker
  }

  private stop(): void {
    const worker = this.worker
    this.worker = undefined
    if (worker !== undefined) void worker.terminate()
  }

  private finish(id: number, outcome: SlowOutcome): void {
    const current = this.current
    if (current === undefined || current.id !== id) return
    clearTimeout(current.timer)
    this.current = undefined
    current.resolve(outcome)
    this.next()
  }
}
