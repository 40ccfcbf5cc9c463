import { Effect, type Runtime, type Scope } from "effect"
import type { AdapterStreams } from "./AdapterStreams.ts"

/** `ChatAdapter.connect`, and the session it opened. */
export interface AdapterSessions<S> {
  /**
   * Opens one session per call, closed with the scope: the port's `connect` (docs/adapters.md).
   * Never fails; problems are status changes.
   */
  readonly connect: Effect.Effect<void, never, Scope.Scope>
  /** The session the latest `connect` opened, until its scope starts closing; else `undefined`. */
  readonly current: () => S | undefined
}

export interface AdapterSessionHooks<S> {
  /**
   * Opens one session and returns at once, without waiting for the platform: `Connecting` is
   * already reported; report `Connected`, `Reconnecting`... on `streams` from SDK events.
   * `runtime` runs effects (logging) from SDK callbacks.
   */
  readonly open: (runtime: Runtime.Runtime<never>) => S
  /** Closes it; resolves when nothing of it runs any more (sockets, timers, readline). Never rejects. */
  readonly close: (session: S) => void | Promise<void>
}

/**
 * The session scaffolding every adapter shares. Each `connect` reports `Connecting`, then
 * `open`s a session, which becomes `current`. Closing the scope first forgets it as `current`
 * (so late SDK events and sends see no session), awaits `close`, then reports
 * `Stopped { closed }`, unless the session already ended with a `Stopped` of its own (the
 * terminal's end of input). A new `connect` after that opens a fresh session.
 */
export const makeAdapterSessions = <S>(
  streams: AdapterStreams,
  hooks: AdapterSessionHooks<S>,
): AdapterSessions<S> => {
  let current: S | undefined
  const acquire = Effect.map(Effect.runtime<never>(), (runtime) => {
    streams.setStatus({ _tag: "Connecting" })
    const session = hooks.open(runtime)
    current = session
    return session
  })
  const release = (session: S) =>
    Effect.suspend(() => {
      if (current === session) current = undefined
      return Effect.promise(async () => hooks.close(session))
    }).pipe(
      Effect.ensuring(
        Effect.sync(() => {
          if (streams.currentStatus()._tag !== "Stopped")
            streams.setStatus({ _tag: "Stopped", reason: "closed" })
        }),
      ),
    )
  return {
    connect: Effect.asVoid(Effect.acquireRelease(acquire, release)),
    current: () => current,
  }
}
