/**
 * `npm run bench`: the whole ChatOps loop against the sandbox (result delay 5 ms). stormbot runs
 * in this process (`runBot`, as `stormbot start` runs it); the sandbox runs in a child process
 * (`bench/sandboxProcess.ts`), so this process's CPU, RSS and garbage collection are the bot's
 * alone, as against a real StackStorm. `npm run bench` bundles both with esbuild
 * (`bench/build.mjs`, as `npm run build` bundles stormbot) and runs the bench twice: under `node`
 * with the V8 flags `bin/stormbot.js` gives stormbot, then under plain `node`. A bench chat adapter injects N commands at once
 * (`!st2 run echo <tag> on localhost`, spread round-robin over 50 chat users in 10 rooms) and
 * waits for N acks and N results. A warm-up round (BENCH_WARMUP, default 4,000 commands) runs
 * first, so the figures are a running bot's, not a cold start's (the JIT is still compiling
 * through the first thousands of commands); the warm-up's own figures are printed too.
 * Prints, as its last lines, the figures issue #4 asks for.
 * Prints numbers; asserts nothing about time.
 * Targets: N=2,000 at ≥ 5,000 commands/s with peak RSS ≤ 100 MB; N=200 with p95 ack ≤ 50 ms.
 */
import { spawn } from "node:child_process"
import { availableParallelism, loadavg } from "node:os"
import { performance } from "node:perf_hooks"
import { createInterface } from "node:readline"
import { Effect, Either, Redacted, type Scope } from "effect"
import { runBot } from "../src/actors/runBot.ts"
import { decodeConfig } from "../src/config/decodeConfig.ts"
import { loggingLayer } from "../src/log/loggingLayer.ts"
import { type BenchCommand, makeBenchAdapter, type RoundTimings } from "./loopAdapter.ts"
import type { SandboxProcessReady } from "./sandboxProcess.ts"
import { threadCpuMs } from "./threadCpu.ts"

// RSS once the bot's code is loaded (no sandbox code in this process), before anything starts.
const loadedRss = process.memoryUsage.rss()

const USERS = 50
const ROOMS = 10
const PER_USER = 8
const RESULT_DELAY_MS = 5
const WARMUP = Number(process.env.BENCH_WARMUP ?? 4000)
const ROUND_TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 120_000)

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
  /** CPU of the bot's process (every thread: JS, garbage collection, compiler). */
  readonly cpuMs: number
  /** CPU of the bot's JS thread (Linux only, 10 ms ticks). */
  readonly botCpuMs: number | undefined
  /** CPU of the sandbox's process. */
  readonly sandboxCpuMs: number
  readonly ack: { readonly p50: number; readonly p95: number; readonly max: number }
  readonly result: { readonly p50: number; readonly p95: number; readonly max: number }
  readonly peakRssMb: number
  readonly load: number
}

const stats = (xs: number[]) =>
  xs.length === 0
    ? { p50: Number.NaN, p95: Number.NaN, max: Number.NaN }
    : { p50: percentile(xs, 50), p95: percentile(xs, 95), max: xs[xs.length - 1]! }

const figures = (
  n: number,
  t: RoundTimings,
  cpu: { readonly process: number; readonly bot: number | undefined; readonly sandbox: number },
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
  return {
    n,
    complete,
    missing,
    unexpected: t.unexpected,
    perSecond: (n / wallMs) * 1000,
    wallMs,
    cpuMs: cpu.process,
    botCpuMs: cpu.bot,
    sandboxCpuMs: cpu.sandbox,
    ack: stats(acks),
    result: stats(results),
    peakRssMb: mb(peakRss),
    load: loadavg()[0]!,
  }
}

const f1 = (x: number) => x.toFixed(1)
const perCommand = (ms: number, n: number) => `${((ms * 1000) / n).toFixed(0)} µs`
const line = (label: string, r: RoundFigures) =>
  `${label} N=${r.n}: ${r.perSecond.toFixed(0)} commands/s (${r.wallMs.toFixed(0)} ms wall; CPU per command: ` +
  `bot process ${perCommand(r.cpuMs, r.n)}` +
  (r.botCpuMs === undefined ? "" : ` (its JS thread ${perCommand(r.botCpuMs, r.n)})`) +
  `, sandbox ${perCommand(r.sandboxCpuMs, r.n)}) | ` +
  `ack p50 ${f1(r.ack.p50)} p95 ${f1(r.ack.p95)} max ${f1(r.ack.max)} ms | ` +
  `result p50 ${f1(r.result.p50)} p95 ${f1(r.result.p95)} ms | peak RSS ${r.peakRssMb.toFixed(0)} MB | load ${r.load.toFixed(2)}` +
  (r.complete && r.unexpected.length === 0
    ? ""
    : ` | INCOMPLETE: ${r.missing} missing, ${r.unexpected.length} unexpected (${r.unexpected.slice(0, 3).join(" / ")})`)

interface BenchSandbox extends SandboxProcessReady {
  /** The sandbox process's CPU time so far (ms). */
  readonly cpuMs: () => Promise<number>
}

/** The sandbox as a child process: bundled next to this file, or the .ts under tsx. */
const sandboxProcess: Effect.Effect<BenchSandbox, Error, Scope.Scope> = Effect.acquireRelease(
  Effect.async<{ child: ReturnType<typeof spawn>; lines: AsyncIterator<string> }, Error>((resume) => {
    const underTsx = import.meta.url.endsWith(".ts")
    const script = new URL(underTsx ? "./sandboxProcess.ts" : "./sandboxProcess.mjs", import.meta.url)
    const child = spawn(
      process.execPath,
      [
        ...(underTsx ? ["--import", "tsx"] : []),
        // e.g. BENCH_SANDBOX_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/sbprof" to profile the sandbox.
        ...(process.env.BENCH_SANDBOX_FLAGS?.split(" ").filter((f) => f !== "") ?? []),
        script.pathname,
        String(RESULT_DELAY_MS),
      ],
      { stdio: ["pipe", "pipe", "inherit"] },
    )
    child.once("error", (e) => resume(Effect.fail(e)))
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
    resume(Effect.succeed({ child, lines }))
  }),
  ({ child }) =>
    Effect.async<void>((resume) => {
      if (child.exitCode !== null) return resume(Effect.void)
      child.once("exit", () => resume(Effect.void))
      child.stdin!.end("stop\n")
    }).pipe(
      Effect.timeout("5 seconds"),
      Effect.ignore,
      Effect.zipRight(Effect.sync(() => child.kill("SIGKILL"))),
    ),
).pipe(
  Effect.flatMap(({ child, lines }) => {
    const next = () =>
      lines.next().then((r) => {
        if (r.done === true) throw new Error("the sandbox process ended")
        return JSON.parse(r.value) as unknown
      })
    return Effect.map(
      Effect.promise(() => next() as Promise<SandboxProcessReady>),
      (ready): BenchSandbox => ({
        url: ready.url,
        apiKey: ready.apiKey,
        cpuMs: () => {
          child.stdin!.write("cpu\n")
          return next().then((m) => (m as { cpuMs: number }).cpuMs)
        },
      }),
    )
  }),
)

const program = Effect.scoped(
  Effect.gen(function* () {
    const sandbox = yield* sandboxProcess
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
        // No forced gc() here: a full collection between rounds let maps die that optimized code
        // depended on, and V8 then re-optimized ~200 functions per round (~100+ µs per command of
        // JIT work a running bot does not do). Peak RSS thus includes the previous round's garbage.
        // memoryUsage.rss() is cheap; memoryUsage() walks the heap spaces and skewed the figures.
        let peak = process.memoryUsage.rss()
        const heapProbe = process.env.BENCH_HEAP === "1"
        let peakHeap = { heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0, rss: 0 }
        const sampler = setInterval(() => {
          peak = Math.max(peak, process.memoryUsage.rss())
          if (heapProbe) {
            const m = process.memoryUsage()
            if (m.rss > peakHeap.rss) peakHeap = m
          }
        }, 25)
        const cpu = process.cpuUsage()
        const botCpu = threadCpuMs()
        const sandboxCpu = await sandbox.cpuMs()
        const { done, timings } = adapter.round(commandsFor(n))
        const complete = await Promise.race([
          done.then(() => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ROUND_TIMEOUT_MS).unref()),
        ])
        clearInterval(sampler)
        if (heapProbe)
          process.stderr.write(
            `at peak RSS: ${Object.entries(peakHeap)
              .map(([k, v]) => `${k} ${mb(v).toFixed(0)} MB`)
              .join(", ")}\n`,
          )
        peak = Math.max(peak, process.memoryUsage.rss())
        const used = process.cpuUsage(cpu)
        if (process.env.BENCH_HEAP === "1")
          process.stderr.write(
            `bot process CPU per command: user ${(used.user / n) | 0} µs, system ${(used.system / n) | 0} µs\n`,
          )
        const botCpuNow = threadCpuMs()
        const sandboxCpuNow = await sandbox.cpuMs()
        return figures(
          n,
          timings,
          {
            process: (used.user + used.system) / 1000,
            bot: botCpu === undefined || botCpuNow === undefined ? undefined : botCpuNow - botCpu,
            sandbox: sandboxCpuNow - sandboxCpu,
          },
          peak,
          complete,
        )
      }).pipe(
        // Settle before the next round (bounded: an incomplete round leaves results owed).
        Effect.zipLeft(
          Effect.all([bot.pending.awaitNone, bot.outboundIdle]).pipe(
            Effect.timeout("10 seconds"),
            Effect.ignore,
          ),
        ),
        Effect.tap((r) => Effect.sync(() => process.stderr.write(`${line("round", r)}\n`))),
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
  `stormbot loop bench: the bot in this process, the sandbox (result delay ${RESULT_DELAY_MS} ms) in a child process; ` +
    `${USERS} chat users in ${ROOMS} rooms, commands round-robin over them, per-user concurrency ${PER_USER}; ` +
    `warm-up round of ${WARMUP} first; node ${process.version} ${process.execArgv.join(" ")}; ` +
    `${availableParallelism()} CPUs, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
)
console.log(line("warm-up", warm))
console.log(line("big   ", big))
console.log(line("small ", small))
console.log(
  `bot process maxRSS over the whole run: ${maxRssMb.toFixed(0)} MB; RSS with only the code loaded: ${mb(loadedRss).toFixed(0)} MB`,
)
console.log(
  "5000/s on 2 cores leaves the bot one core: at most 200 µs of its CPU per command, the sandbox the same on the other",
)
console.log(
  "targets: N=2000 ≥ 5000 commands/s, peak RSS ≤ 100 MB; N=200 ack p95 ≤ 50 ms (Hubot: ~1200/s, p95 134 ms, 148 MB)",
)
process.exit(0)
