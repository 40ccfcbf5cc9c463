import { Effect, Either, Layer, Runtime, type Scope } from "effect"
import { type Actor, createActor, fromPromise, type InspectionEvent } from "xstate"
import {
  type CredentialMachine,
  type CredentialTimings,
  credentialMachine,
  type LoginInput,
  type LoginOutput,
} from "../machines/credentialMachine.ts"
import { type CredentialSource, describeCredentialSource } from "../st2/CredentialSource.ts"
import type { St2Client } from "../st2/St2Client.ts"
import { BotCredential, CredentialUnavailable, type St2Credential } from "../st2/St2Credential.ts"
import { loginProgram } from "./credentialLogin.ts"

/** How long `get` waits for a credential (login, renewal, or an outage's retries) before giving up. */
export const defaultCredentialWaitMs = 15_000

export interface BotCredentialOptions {
  readonly source: CredentialSource
  readonly timings?: Partial<CredentialTimings> | undefined
  /**
   * `get` waits at most this long when no credential is ready (authenticating, renewing,
   * retrying), then fails with a non-permanent `CredentialUnavailable`. Default 15 s.
   */
  readonly waitTimeoutMs?: number | undefined
  /** XState inspection (every event, microstep and child), e.g. to log transitions. */
  readonly inspect?: ((event: InspectionEvent) => void) | undefined
  /** Jitter source in [0, 1) for retry delays. */
  readonly random?: (() => number) | undefined
}

export type CredentialActor = Actor<CredentialMachine>

const stateName = (value: unknown): string =>
  typeof value === "string" ? value : (Object.keys(value as object)[0] ?? String(value))

/** The credential machine with its `login` child running Effect programs on `runtime`. */
export const credentialLogic = (runtime: Runtime.Runtime<St2Client>) =>
  credentialMachine.provide({
    actors: {
      login: fromPromise<LoginOutput, LoginInput>(({ input, signal }) =>
        Runtime.runPromise(runtime)(Effect.either(loginProgram(input.source)), { signal }).then((result) =>
          Either.isRight(result) ? result.right : Promise.reject(result.left),
        ),
      ),
    },
  })

/**
 * Logs what an operator must know about a credential actor: authenticated (and as whom),
 * renewed, retrying (why, when), failed (which credential, what to do). Returns the
 * subscription; it ends with the actor.
 */
export const watchCredentialActor = (
  actor: CredentialActor,
  who: string,
  log: (effect: Effect.Effect<void>) => void,
) => {
  let previous = ""
  return actor.subscribe({
    next: (snapshot) => {
      const state = stateName(snapshot.value)
      if (state === previous) return
      const from = previous
      previous = state
      const c = snapshot.context
      if (state === "authenticated")
        log(
          Effect.logInfo(
            from === "renewing"
              ? `renewed the StackStorm token of ${c.username}`
              : `authenticated to StackStorm as ${c.username} with ${who}`,
          ),
        )
      else if (state === "retrying")
        log(
          Effect.logWarning(
            `cannot log in to StackStorm (${c.lastFailure?.detail ?? "unknown failure"}); ` +
              `attempt ${c.attempt} failed, retrying in ${c.retryDelayMs} ms`,
          ),
        )
      else if (state === "failed") log(Effect.logError(c.rejection?.message ?? `StackStorm rejected ${who}`))
    },
    // Without an error observer XState rethrows on a timer and crashes Node.
    error: (error) =>
      log(Effect.logError("the credential actor crashed; StackStorm requests will fail", error)),
  })
}

/**
 * The `BotCredential` service over whichever credential actor \`current()\` returns: a
 * standalone one, or the supervisor's `credential` child (a new actor after each restart;
 * `undefined` while it restarts, when \`get\` waits for the next one).
 */
export const botCredentialService = (
  current: () => CredentialActor | undefined | "shutDown",
  options: { readonly who: string; readonly waitTimeoutMs: number },
): typeof BotCredential.Service => {
  const { who, waitTimeoutMs } = options
  type Decision = Either.Either<St2Credential, CredentialUnavailable> | undefined
  const decide = (snapshot: ReturnType<CredentialActor["getSnapshot"]>): Decision => {
    if (snapshot.status !== "active") return undefined
    // Both are top-level atomic states, so `value` is their name: cheaper than `matches`, which
    // every command paid for.
    const state = snapshot.value
    if (state === "failed")
      return Either.left(
        new CredentialUnavailable({
          message: snapshot.context.rejection?.message ?? `StackStorm rejected ${who}`,
          permanent: true,
        }),
      )
    // The auth service is known to be down: answer at once instead of making a chat user wait
    // out the backoff; the actor keeps retrying on its own. Unless an early login was asked for
    // (`RETRY_NOW`, a command arrived) and starts when the gap after the last failure ends: then
    // its outcome is the answer.
    if (state === "retrying" && snapshot.context.retryNow !== "asked")
      return Either.left(
        new CredentialUnavailable({
          message: `cannot log in to StackStorm right now (${snapshot.context.lastFailure?.detail ?? "unknown failure"})`,
          permanent: false,
        }),
      )
    return snapshot.context.credential === undefined ? undefined : Either.right(snapshot.context.credential)
  }

  const shutDown = new CredentialUnavailable({
    message: "the credential actor is stopped (stormbot is shutting down)",
    permanent: false,
  })
  const timedOut = () => {
    const actor = current()
    if (actor === "shutDown") return shutDown
    if (actor === undefined)
      return new CredentialUnavailable({
        message: `no StackStorm credential after ${waitTimeoutMs} ms (the credential actor is not running)`,
        permanent: false,
      })
    const s = actor.getSnapshot()
    const why = s.context.lastFailure === undefined ? "" : `: ${s.context.lastFailure.detail}`
    return new CredentialUnavailable({
      message: `no StackStorm credential after ${waitTimeoutMs} ms (${stateName(s.value)}${why})`,
      permanent: false,
    })
  }

  /** One wait on the actor there is now; `undefined` when it stopped or none runs (look again). */
  const once: Effect.Effect<Decision> = Effect.async<Decision>((resume) => {
    const actor = current()
    if (actor === "shutDown") return resume(Effect.succeed(Either.left(shutDown)))
    if (actor === undefined) {
      const t = setTimeout(() => resume(Effect.succeed(undefined)), 50)
      return Effect.sync(() => clearTimeout(t))
    }
    const now = decide(actor.getSnapshot())
    if (now !== undefined) return resume(Effect.succeed(now))
    const subscription = actor.subscribe({
      next: (snapshot) => {
        const d = decide(snapshot)
        if (d === undefined) return
        subscription.unsubscribe()
        resume(Effect.succeed(d))
      },
      complete: () => resume(Effect.succeed(undefined)),
      error: () => resume(Effect.succeed(undefined)),
    })
    return Effect.sync(() => subscription.unsubscribe())
  })

  const wait: Effect.Effect<St2Credential, CredentialUnavailable> = once.pipe(
    Effect.repeat({ until: (d): d is NonNullable<Decision> => d !== undefined }),
    Effect.flatMap((d) => d as NonNullable<Decision>),
    Effect.timeoutFail({ duration: `${waitTimeoutMs} millis`, onTimeout: timedOut }),
  )
  // Every command asks: when the actor has decided already, answer synchronously, without the
  // wait's subscription, timer fiber and timeout (the same answer `wait` would give at once).
  const get: Effect.Effect<St2Credential, CredentialUnavailable> = Effect.suspend(() => {
    const actor = current()
    if (actor === "shutDown") return Effect.fail(shutDown)
    const now = actor === undefined ? undefined : decide(actor.getSnapshot())
    return now === undefined ? wait : now
  })

  const peek = (): St2Credential | undefined => {
    const actor = current()
    if (actor === undefined || actor === "shutDown") return undefined
    const now = decide(actor.getSnapshot())
    return now !== undefined && Either.isRight(now) ? now.right : undefined
  }

  return {
    get,
    peek,
    reportUnauthorized: (credential, error) =>
      Effect.sync(() => {
        const actor = current()
        if (actor !== undefined && actor !== "shutDown")
          actor.send({ type: "UNAUTHORIZED", credential, reason: error.reason })
      }),
  }
}

/**
 * Starts a standalone credential actor in the current scope (stopped when the scope closes) and
 * returns the `BotCredential` service over it together with the actor (for tests and tools; the
 * bot runs it as the supervisor's `credential` child instead).
 */
export const makeBotCredential = (
  options: BotCredentialOptions,
): Effect.Effect<
  { readonly service: typeof BotCredential.Service; readonly actor: CredentialActor },
  never,
  St2Client | Scope.Scope
> =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<St2Client>()
    const runFork = Runtime.runFork(runtime)
    const log = (effect: Effect.Effect<void>) => {
      runFork(effect.pipe(Effect.annotateLogs("actor", "credential")))
    }
    const who = describeCredentialSource(options.source)
    const actor = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const a = createActor(credentialLogic(runtime), {
          input: { source: options.source, timings: options.timings, random: options.random },
          ...(options.inspect === undefined ? {} : { inspect: options.inspect }),
        })
        watchCredentialActor(a, who, log)
        a.start()
        return a
      }),
      (a) => Effect.sync(() => a.stop()),
    )
    let stopped = false
    yield* Effect.addFinalizer(() => Effect.sync(() => (stopped = true)))
    const service = botCredentialService(() => (stopped ? "shutDown" : actor), {
      who,
      waitTimeoutMs: options.waitTimeoutMs ?? defaultCredentialWaitMs,
    })
    return { service, actor }
  })

/**
 * The bot's credential as a service: the actor runs for the layer's lifetime. Nothing else logs
 * in; everything asks `BotCredential.get` and reports 401s (see `withBotCredential`).
 */
export const BotCredentialLive = (
  options: BotCredentialOptions,
): Layer.Layer<BotCredential, never, St2Client> =>
  Layer.scoped(
    BotCredential,
    Effect.map(makeBotCredential(options), (made) => made.service),
  )
