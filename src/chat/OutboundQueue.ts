import { Cause, Duration, Effect, Option, FiberSet, type Scope } from "effect"
import type { ChatResolveError, ChatSendError } from "../adapters/ChatAdapterError.ts"

/**
 * Per-target FIFO lanes for outbound chat messages.
 *
 * - Jobs with the same key run one at a time, in the order they were enqueued; different keys
 *   run concurrently. So a room's results arrive in the order StackStorm sent them even when
 *   one of them is slow, while a slow room does not hold up the others.
 * - A job failing with `ChatSendTransient` is retried after `retryAfterMs` (the platform's own
 *   hint) or an exponential backoff (`retry`), and the lane waits meanwhile: later jobs of that
 *   key cannot overtake it. After `retry.maxAttempts` it is given up, with an error log.
 * - Any other failure (permanent, unknown target, even a defect) is logged with its reason and
 *   the lane proceeds with the next job. Nothing is dropped without a log line and an outcome.
 * - A job is an effect that may make progress before failing (sent part 1 of 3); it is retried
 *   as a whole, so jobs must resume rather than repeat (see `deliverToChat`).
 */
export interface OutboundQueue {
  /** Adds a job to the lane `key`; returns at once. */
  readonly enqueue: (key: string, job: OutboundJob) => Effect.Effect<void>
  /** `enqueue` as a plain call, for callers outside an effect (or on a hot path). */
  readonly offer: (key: string, job: OutboundJob) => void
  /** Jobs enqueued and not yet finished (delivered or given up). */
  readonly pending: Effect.Effect<number>
  /** Waits until no job is pending (for a bounded drain at shutdown or end of piped input). */
  readonly awaitIdle: Effect.Effect<void>
}

export interface OutboundJob {
  /** For logs: what is being sent where, never message contents or secrets. */
  readonly label: string
  readonly run: Effect.Effect<void, ChatSendError | ChatResolveError>
}

export type OutboundOutcome =
  | { readonly _tag: "Delivered"; readonly key: string; readonly label: string; readonly attempts: number }
  | {
      readonly _tag: "Failed"
      readonly key: string
      readonly label: string
      readonly attempts: number
      readonly reason: string
    }

export interface OutboundQueueOptions {
  readonly retry?: {
    /** First backoff; doubles per attempt. */
    readonly initialDelay?: Duration.DurationInput
    readonly maxDelay?: Duration.DurationInput
    /** Total tries of one job, the first included. */
    readonly maxAttempts?: number
  }
  /** Pause between two jobs of one lane (the adapter's `limits.minSendIntervalMs`). */
  readonly minInterval?: Duration.DurationInput
  /** Called with every job's final outcome (metrics, tests). */
  readonly onOutcome?: (outcome: OutboundOutcome) => void
}

/** A lane's jobs in order; `wake` is set while its worker is parked waiting for one. */
interface Lane {
  readonly jobs: Array<OutboundJob>
  wake: (() => void) | undefined
}

/** How long an idle lane's worker waits for the next message to that target before it ends. */
const LANE_LINGER_MS = 1_000

/** Defaults: 0.5 s, 1 s, 2 s ... capped at 30 s, 10 tries (about 2.5 minutes of outage). */
export const defaultOutboundRetry = {
  initialDelay: "500 millis",
  maxDelay: "30 seconds",
  maxAttempts: 10,
} as const

/** Lanes are worker fibers owned by the scope; closing it interrupts them (pending jobs are logged by the caller's drain). */
export const makeOutboundQueue = (
  options: OutboundQueueOptions = {},
): Effect.Effect<OutboundQueue, never, Scope.Scope> =>
  Effect.gen(function* () {
    const initialDelay = Duration.decode(options.retry?.initialDelay ?? defaultOutboundRetry.initialDelay)
    const maxDelay = Duration.decode(options.retry?.maxDelay ?? defaultOutboundRetry.maxDelay)
    const maxAttempts = Math.max(1, options.retry?.maxAttempts ?? defaultOutboundRetry.maxAttempts)
    const minInterval = Duration.decode(options.minInterval ?? 0)
    const onOutcome = options.onOutcome ?? (() => {})

    const fibers = yield* FiberSet.make()
    const fork = yield* FiberSet.runtime(fibers)()
    // A plain counter with waiters released at zero: it changes twice per message, and a
    // SubscriptionRef (a semaphore and a PubSub per update) showed in profiles.
    let pending = 0
    const idleWaiters = new Set<() => void>()
    const done = () => {
      pending -= 1
      if (pending === 0 && idleWaiters.size > 0) {
        const ready = [...idleWaiters]
        idleWaiters.clear()
        for (const w of ready) w()
      }
    }
    // A lane exists while its worker runs (jobs, then lingering); the worker removes it when it
    // ends. Map access happens in synchronous sections only, so enqueue and the worker cannot race.
    const lanes = new Map<string, Lane>()

    const backoff = (attempt: number): Duration.Duration =>
      Duration.min(maxDelay, Duration.times(initialDelay, 2 ** (attempt - 1)))

    const runJob = (key: string, job: OutboundJob): Effect.Effect<void> => {
      const loop = (attempt: number): Effect.Effect<void> =>
        job.run.pipe(
          Effect.matchCauseEffect({
            onSuccess: () =>
              options.onOutcome === undefined
                ? Effect.void
                : Effect.sync(() =>
                    onOutcome({ _tag: "Delivered", key, label: job.label, attempts: attempt }),
                  ),
            onFailure: (cause) => {
              const failure = Option.getOrUndefined(Cause.failureOption(cause))
              if (failure?._tag === "ChatSendTransient" && attempt < maxAttempts) {
                const wait =
                  failure.retryAfterMs === undefined
                    ? backoff(attempt)
                    : Duration.millis(failure.retryAfterMs)
                return Effect.logWarning("chat send failed, will retry").pipe(
                  Effect.annotateLogs({
                    key,
                    job: job.label,
                    reason: failure.reason,
                    attempt,
                    retryInMs: Duration.toMillis(wait),
                  }),
                  Effect.zipRight(Effect.sleep(wait)),
                  Effect.zipRight(loop(attempt + 1)),
                )
              }
              const reason =
                failure === undefined
                  ? `unexpected failure: ${Cause.pretty(cause)}`
                  : failure._tag === "ChatSendTransient"
                    ? `gave up after ${attempt} attempts: ${failure.reason}`
                    : failure.reason
              return Effect.logError("chat message not delivered").pipe(
                Effect.annotateLogs({ key, job: job.label, reason, attempts: attempt }),
                Effect.zipRight(
                  Effect.sync(() =>
                    onOutcome({ _tag: "Failed", key, label: job.label, attempts: attempt, reason }),
                  ),
                ),
              )
            },
          }),
        )
      return loop(1)
    }

    const intervalMs = Duration.toMillis(minInterval)
    // A lane's worker outlives its last job by `LANE_LINGER_MS`, parked, so a room that is
    // answered again soon (acks, then results) reuses it: a fiber per delivery was ~6 KB of
    // allocation per message.
    const worker = (key: string, lane: Lane): Effect.Effect<void> =>
      Effect.suspend(() => {
        const job = lane.jobs[0]
        if (job === undefined) return park(key, lane)
        return Effect.flatMap(runJob(key, job), () => {
          lane.jobs.shift()
          done()
          return lane.jobs.length > 0 && intervalMs > 0
            ? Effect.zipRight(Effect.sleep(minInterval), worker(key, lane))
            : worker(key, lane)
        })
      })
    const park = (key: string, lane: Lane): Effect.Effect<void> =>
      Effect.flatMap(
        Effect.async<boolean>((resume) => {
          const timer = setTimeout(() => {
            lane.wake = undefined
            resume(Effect.succeed(false))
          }, LANE_LINGER_MS)
          // A lingering lane never keeps the process alive on its own.
          timer.unref?.()
          lane.wake = () => {
            clearTimeout(timer)
            lane.wake = undefined
            resume(Effect.succeed(true))
          }
          return Effect.sync(() => {
            clearTimeout(timer)
            lane.wake = undefined
          })
        }),
        (woken) => {
          if (woken || lane.jobs.length > 0) return worker(key, lane)
          lanes.delete(key)
          return Effect.void
        },
      )

    const offer = (key: string, job: OutboundJob): void => {
      const lane = lanes.get(key)
      pending += 1
      if (lane !== undefined) {
        lane.jobs.push(job)
        lane.wake?.()
        return
      }
      const fresh: Lane = { jobs: [job], wake: undefined }
      lanes.set(key, fresh)
      fork(worker(key, fresh))
    }

    return {
      enqueue: (key, job) => Effect.sync(() => offer(key, job)),
      offer,
      pending: Effect.sync(() => pending),
      awaitIdle: Effect.async<void>((resume) => {
        if (pending === 0) return resume(Effect.void)
        const waiter = () => resume(Effect.void)
        idleWaiters.add(waiter)
        return Effect.sync(() => idleWaiters.delete(waiter))
      }),
    }
  })
