/**
 * `npm run bench`: the whole ChatOps loop, in one process, against the sandbox (result delay
 * 5 ms). The sandbox runs in a worker thread (`bench/sandboxWorker.ts`; `BENCH_SANDBOX=main` puts
 * it on the bot's thread), so the bot's event loop is the bot's alone. `npm run bench` bundles this file with esbuild (`bench/build.mjs`) and runs it with plain
 * `node`, so the figures are the bot's and the sandbox's, not tsx's compiler. A bench chat adapter injects N commands at once (`!st2 run echo <tag> on localhost`,
 * spread round-robin over 50 chat users in 10 rooms) and waits for N acks and N results. Prints,
 * as its last lines, the figures issue #4 asks for. Prints numbers; asserts nothing about time.
 * Targets: N=2,000 at ≥ 5,000 commands/s with peak RSS ≤ 100 MB; N=200 with p95 ack ≤ 50 ms.
 */
import { availableParallelism, loadavg } from "node:os"
import { type EventLoopUtilization, performance } from "node:perf_hooks"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { Worker } from "node:worker_threads"
import { Effect, Either, Redacted, type Scope } from "effect"
import { runBot } from "../src/actors/runBot.ts"
import { decodeConfig } from "../src/config/decodeConfig.ts"
import { loggingLayer } from "../src/log/loggingLayer.ts"
import { sandboxResource } from "../src/sandbox/Sandbox.ts"
import { type BenchCommand, makeBenchAdapter, type RoundTimings } from "./loopAdapter.ts"
import type { SandboxWorkerData, SandboxWorkerReady } from "./sandboxWorker.ts"
import { threadCpuMs } from "./threadCpu.ts"

// RSS once the code is loaded (bundled, no tsx), before sandbox or bot start.
const loadedRss = process.memoryUsage.rss()

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

const USERS = 50
const ROOMS = 10
const PER_USER = 8
const RESULT_DELAY_MS = 5
const WARMUP = Number(process.env.BENCH_WARMUP ?? 200)
const ROUND_TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 120_000)
const SANDBOX_IN_WORKER = process.env.BENCH_SANDBOX !== "main"

const mb = (bytes: number) => bytes / 1024 / 1024
const percentile = (sorted: ArrayLike<number>, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

let roundNo = 0
const commandsFor = (n: number): Array<BenchCommand> => {
  roundNo += 1
  return Array.from({ length: n }, (_, i) => ({
    user: i % USERS,
    room: (i % USERS) % ROOMS,
    tag: `r${roundNo}c${i}`,
  }))
}

interface RoundFigures {
  readonly n: number
  readonly complete: boolean
  readonly missing: number
  readonly unexpected: ReadonlyArray<string>
  readonly perSecond: number
  readonly wallMs: number
  readonly cpuMs: number
  /** Time the bot's event loop was busy (bot and, with BENCH_SANDBOX=main, the sandbox). */
  readonly botBusyMs: number
  /** Time the sandbox worker's event loop was busy; undefined when it shares the bot's thread. */
  readonly sandboxBusyMs: number | undefined
  /** CPU time of the bot's thread and of the sandbox worker's (Linux only, 10 ms ticks). */
  readonly botCpuMs: number | undefined
  readonly sandboxCpuMs: number | undefined
  readonly ack: { readonly p50: number; readonly p95: number; readonly max: number }
  readonly result: { readonly p50: number; readonly p95: number; readonly max: number }
  readonly peakRssMb: number
  readonly load: number
}

const figures = (
  n: number,
  t: RoundTimings,
  cpuMs: number,
  busy: { readonly bot: number; readonly sandbox: number | undefined },
  threadCpu: { readonly bot: number | undefined; readonly sandbox: number | undefined },
  peakRss: number,
  complete: boolean,
): RoundFigures => {
  const first = Math.min(...t.injectedAt)
  let last = first
  let missing = 0
  const acks: number[] = []
  const results: number[] = []
  for (let i = 0; i < n; i++) {
    if (t.ackAt[i] === 0) missing += 1
    else acks.push(t.ackAt[i]! - t.injectedAt[i]!)
    if (t.resultAt[i] === 0) missing += 1
    else {
      results.push(t.resultAt[i]! - t.injectedAt[i]!)
      last = Math.max(last, t.resultAt[i]!)
    }
  }
  acks.sort((a, b) => a - b)
  results.sort((a, b) => a - b)
  const wallMs = last - first
  const stats = (xs: number[]) =>
    xs.length === 0
      ? { p50: Number.NaN, p95: Number.NaN, max: Number.NaN }
      : {
          p50: percentile(xs, 50),
          p95: percentile(xs, 95),
          max: xs[xs.length - 1]!,
        }
  return {
    n,
    complete,
    missing,
    unexpected: t.unexpected,
    perSecond: (n / wallMs) * 1000,
    wallMs,
    cpuMs,
    botBusyMs: busy.bot,
    sandboxBusyMs: busy.sandbox,
    botCpuMs: threadCpu.bot,
    sandboxCpuMs: threadCpu.sandbox,
    ack: stats(acks),
    result: stats(results),
    peakRssMb: mb(peakRss),
    load: loadavg()[0]!,
  }
}

const f1 = (x: number) => x.toFixed(1)
const perCommand = (ms: number, n: number) => `${((ms * 1000) / n).toFixed(0)} µs`
const thread = (name: string, cpuMs: number | undefined, busyMs: number, n: number) =>
  cpuMs === undefined
    ? `${name} busy ${perCommand(busyMs, n)}`
    : `${name} CPU ${perCommand(cpuMs, n)} (busy ${perCommand(busyMs, n)})`
const line = (label: string, r: RoundFigures) =>
  `${label} N=${r.n}: ${r.perSecond.toFixed(0)} commands/s (${r.wallMs.toFixed(0)} ms wall; per command: ` +
  `process CPU ${perCommand(r.cpuMs, r.n)}; ` +
  thread(r.sandboxBusyMs === undefined ? "bot+sandbox thread" : "bot thread", r.botCpuMs, r.botBusyMs, r.n) +
  (r.sandboxBusyMs === undefined
    ? ""
    : `; ${thread("sandbox thread", r.sandboxCpuMs, r.sandboxBusyMs, r.n)}`) +
  `) | ` +
  `ack p50 ${f1(r.ack.p50)} p95 ${f1(r.ack.p95)} max ${f1(r.ack.max)} ms | ` +
  `result p50 ${f1(r.result.p50)} p95 ${f1(r.result.p95)} ms | peak RSS ${r.peakRssMb.toFixed(0)} MB | load ${r.load.toFixed(2)}` +
  (r.complete && r.unexpected.length === 0
    ? ""
    : ` | INCOMPLETE: ${r.missing} missing, ${r.unexpected.length} unexpected (${r.unexpected.slice(0, 3).join(" / ")})`)

interface BenchSandbox {
  readonly url: string
  readonly apiKey: string
  /** The sandbox worker's event-loop utilisation; undefined when the sandbox is on this thread. */
  readonly elu: ((since?: EventLoopUtilization) => EventLoopUtilization) | undefined
  /** The sandbox worker's thread CPU time (ms); undefined when it is on this thread. */
  readonly cpuMs: (() => Promise<number | undefined>) | undefined
}

/** The sandbox in a worker thread (bundled next to this file, or the .ts under tsx). */
const sandboxWorker: Effect.Effect<BenchSandbox, never, Scope.Scope> = Effect.acquireRelease(
  Effect.promise(
    () =>
      new Promise<{ worker: Worker; ready: SandboxWorkerReady }>((resolve, reject) => {
        const underTsx = import.meta.url.endsWith(".ts")
        const worker = new Worker(
          new URL(underTsx ? "./sandboxWorker.ts" : "./sandboxWorker.mjs", import.meta.url),
          {
            workerData: { resultDelayMs: RESULT_DELAY_MS } satisfies SandboxWorkerData,
            execArgv: underTsx ? ["--import", "tsx"] : [],
          },
        )
        worker.once("error", reject)
        worker.once("message", (ready: SandboxWorkerReady) => resolve({ worker, ready }))
      }),
  ),
  ({ worker }) =>
    Effect.promise(
      () =>
        new Promise<void>((resolve) => {
          worker.once("message", () => resolve())
          worker.postMessage("stop")
        }),
    ).pipe(
      Effect.timeout("5 seconds"),
      Effect.ignore,
      Effect.zipRight(Effect.promise(() => worker.terminate())),
    ),
).pipe(
  Effect.map(({ worker, ready }) => ({
    ...ready,
    elu: (since?: EventLoopUtilization) => worker.performance.eventLoopUtilization(since),
    cpuMs: () =>
      new Promise<number | undefined>((resolve) => {
        worker.once("message", (m: { cpuMs?: number }) => resolve(m.cpuMs))
        worker.postMessage("cpu")
      }),
  })),
)

const sandboxOnThisThread: Effect.Effect<BenchSandbox, never, Scope.Scope> = Effect.map(
  sandboxResource({ port: 0, resultDelayMs: RESULT_DELAY_MS }),
  (s) => ({ url: s.url, apiKey: s.apiKey, elu: undefined, cpuMs: undefined }),
)

const program = Effect.scoped(
  Effect.gen(function* () {
    const sandbox = yield* SANDBOX_IN_WORKER ? sandboxWorker : sandboxOnThisThread
    const decoded = decodeConfig({
      stackstorm: { url: sandbox.url, api_auth: { key: sandbox.apiKey } },
      log: { level: "error" },
    })
    if (Either.isLeft(decoded)) return yield* Effect.die(decoded.left)
    const adapter = makeBenchAdapter()
    const bot = yield* runBot({
      config: decoded.right.config,
      adapters: [adapter],
      credential: { _tag: "ApiKey", key: Redacted.make(sandbox.apiKey) },
      perUserConcurrency: PER_USER,
    })

    // Ready: the stream is open (else early results would be announced to nobody).
    const streamState = () =>
      JSON.stringify(
        (
          bot.supervisor.system.get("stream") as { getSnapshot(): { value: unknown } } | undefined
        )?.getSnapshot().value,
      )
    const readySince = performance.now()
    while (!streamState().includes("connected")) {
      if (performance.now() - readySince > 15_000)
        return yield* Effect.die(new Error(`the stream did not connect: ${streamState()}`))
      yield* Effect.sleep("10 millis")
    }

    const round = (n: number) =>
      Effect.promise(async () => {
        gc()
        // memoryUsage.rss() is cheap; memoryUsage() walks the heap spaces and skewed the figures.
        let peak = process.memoryUsage.rss()
        const sampler = setInterval(() => {
          peak = Math.max(peak, process.memoryUsage.rss())
        }, 25)
        const cpu = process.cpuUsage()
        const botElu = performance.eventLoopUtilization()
        const sandboxElu = sandbox.elu?.()
        const botCpu = threadCpuMs()
        const sandboxCpu = await sandbox.cpuMs?.()
        const commands = commandsFor(n)
        const { done, timings } = adapter.round(commands)
        const complete = await Promise.race([
          done.then(() => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ROUND_TIMEOUT_MS).unref()),
        ])
        clearInterval(sampler)
        peak = Math.max(peak, process.memoryUsage.rss())
        const used = process.cpuUsage(cpu)
        const busy = {
          bot: performance.eventLoopUtilization(botElu).active,
          sandbox: sandboxElu === undefined ? undefined : sandbox.elu?.(sandboxElu).active,
        }
        const botCpuNow = threadCpuMs()
        const sandboxCpuNow = await sandbox.cpuMs?.()
        const threadCpu = {
          bot: botCpu === undefined || botCpuNow === undefined ? undefined : botCpuNow - botCpu,
          sandbox:
            sandboxCpu === undefined || sandboxCpuNow === undefined ? undefined : sandboxCpuNow - sandboxCpu,
        }
        return figures(n, timings, (used.user + used.system) / 1000, busy, threadCpu, peak, complete)
      }).pipe(
        // Settle before the next round (bounded: an incomplete round leaves results owed).
        Effect.zipLeft(
          Effect.all([bot.pending.awaitNone, bot.outboundIdle]).pipe(
            Effect.timeout("10 seconds"),
            Effect.ignore,
          ),
        ),
        Effect.tap((r) => Effect.sync(() => process.stderr.write(`${line(`round`, r)}\n`))),
      )

    const warm = yield* round(WARMUP)
    const big = yield* round(Number(process.env.BENCH_BIG ?? 2000))
    const small = yield* round(200)
    return { warm, big, small }
  }),
).pipe(Effect.provide(loggingLayer({ level: "error", format: "json" })))

const { warm, big, small } = await Effect.runPromise(program)
const maxRssMb = process.resourceUsage().maxRSS / 1024

console.log(
  `stormbot loop bench: bot and sandbox (result delay ${RESULT_DELAY_MS} ms) in one process, ` +
    (SANDBOX_IN_WORKER
      ? "the sandbox in a worker thread (process CPU and RSS include it; thread CPU from /proc in 10 ms ticks; 'busy' is the thread's event loop active, CPU or waiting for a core); "
      : "on one thread (BENCH_SANDBOX=main), so their costs add up; ") +
    `${USERS} chat users in ${ROOMS} rooms, commands round-robin over them, per-user concurrency ${PER_USER}; ` +
    `warm-up round of ${WARMUP} first; ${availableParallelism()} CPUs, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
)
console.log(line("warm-up", warm))
console.log(line("big   ", big))
console.log(line("small ", small))
console.log(
  `process maxRSS (whole run, sandbox included): ${maxRssMb.toFixed(0)} MB; RSS with only the code loaded (esbuild bundle under plain node; effect, xstate, undici, nunjucks): ${mb(loadedRss).toFixed(0)} MB`,
)
console.log(
  SANDBOX_IN_WORKER
    ? "the bot's thread runs the bot alone: 5000/s needs at most 200 µs of its CPU per command"
    : "one JS thread runs bot and sandbox: 5000/s needs at most 200 µs of CPU per command for both together",
)
console.log(
  "targets: N=2000 ≥ 5000 commands/s, peak RSS ≤ 100 MB; N=200 ack p95 ≤ 50 ms (Hubot: ~1200/s, p95 134 ms, 148 MB)",
)
process.exit(0)
