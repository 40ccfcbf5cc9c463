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

/**
 * Starts the credential actor in the current scope (stopped when the scope closes) and returns
 * the `BotCredential` service over it together with the actor (for health pages and tests).
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
    const waitTimeoutMs = options.waitTimeoutMs ?? defaultCredentialWaitMs
    const who = describeCredentialSource(options.source)

    const login = fromPromise<LoginOutput, LoginInput>(({ input, signal }) =>
      Runtime.runPromise(runtime)(Effect.either(loginProgram(input.source)), { signal }).then((result) =>
        Either.isRight(result) ? result.right : Promise.reject(result.left),
      ),
    )

    const actor = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const a = createActor(credentialMachine.provide({ actors: { login } }), {
          input: { source: options.source, timings: options.timings, random: options.random },
          ...(options.inspect === undefined ? {} : { inspect: options.inspect }),
        })
        let previous = ""
        a.subscribe({
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
            else if (state === "failed")
              log(Effect.logError(c.rejection?.message ?? `StackStorm rejected ${who}`))
          },
          // Without an error observer XState rethrows on a timer and crashes Node.
          error: (error) =>
            log(Effect.logError("the credential actor crashed; StackStorm requests will fail", error)),
        })
        a.start()
        return a
      }),
      (a) => Effect.sync(() => a.stop()),
    )

    type Decision = Either.Either<St2Credential, CredentialUnavailable> | undefined
    const decide = (snapshot: ReturnType<CredentialActor["getSnapshot"]>): Decision => {
      if (snapshot.status !== "active")
        return Either.left(
          new CredentialUnavailable({
            message: "the credential actor is stopped (stormbot is shutting down)",
            permanent: false,
          }),
        )
      if (snapshot.matches("failed"))
        return Either.left(
          new CredentialUnavailable({
            message: snapshot.context.rejection?.message ?? `StackStorm rejected ${who}`,
            permanent: true,
          }),
        )
      return snapshot.context.credential === undefined ? undefined : Either.right(snapshot.context.credential)
    }

    const timedOut = () => {
      const s = actor.getSnapshot()
      const why = s.context.lastFailure === undefined ? "" : `: ${s.context.lastFailure.detail}`
      return new CredentialUnavailable({
        message: `no StackStorm credential after ${waitTimeoutMs} ms (${stateName(s.value)}${why})`,
        permanent: false,
      })
    }

    const get: Effect.Effect<St2Credential, CredentialUnavailable> = Effect.async<
      St2Credential,
      CredentialUnavailable
    >((resume) => {
      const now = decide(actor.getSnapshot())
      if (now !== undefined) return resume(now)
      const subscription = actor.subscribe({
        next: (snapshot) => {
          const d = decide(snapshot)
          if (d === undefined) return
          subscription.unsubscribe()
          resume(d)
        },
        complete: () => resume(decide(actor.getSnapshot()) ?? Either.left(timedOut())),
      })
      return Effect.sync(() => subscription.unsubscribe())
    }).pipe(Effect.timeoutFail({ duration: `${waitTimeoutMs} millis`, onTimeout: timedOut }))

    const service: typeof BotCredential.Service = {
      get,
      reportUnauthorized: (credential, error) =>
        Effect.sync(() => actor.send({ type: "UNAUTHORIZED", credential, reason: error.reason })),
    }
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
