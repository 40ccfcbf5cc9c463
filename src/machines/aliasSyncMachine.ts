import { assign, fromPromise, setup } from "xstate"
import { backoffDelay } from "./backoffDelay.ts"

/** What one load (all pages of aliases, index rebuilt and published) reports. */
export interface AliasLoadOutput {
  readonly aliases: number
  readonly formats: number
  readonly rejected: number
}

export interface AliasSyncInput {
  /** `timer_update`: time between refreshes of a good set. */
  readonly refreshIntervalMs: number
  /** Backoff while no good set exists or a refresh failed: base 1 s, cap min(10 s, refresh interval). */
  readonly retryBaseMs?: number
  readonly retryCapMs?: number
  /** `RETRY_NOW` starts a load at once, but never sooner than this after a failed one. Default 1 s. */
  readonly retryNowGapMs?: number
  readonly random?: () => number
}

export interface AliasSyncContext {
  readonly refreshIntervalMs: number
  readonly retryBaseMs: number
  readonly retryCapMs: number
  readonly retryNowGapMs: number
  readonly random: () => number
  /**
   * In `retrying` / `stale`: whether `RETRY_NOW` may start a load now. `holding` until
   * `retryNowGap` has passed since the failure; `asked` when one came meanwhile (the load starts
   * when the gap ends); `open` once the gap passed with nobody asking.
   */
  readonly retryNow: "holding" | "asked" | "open"
  /** Consecutive failed loads; 0 after a good one. */
  readonly failures: number
  readonly last?: AliasLoadOutput
  readonly lastError?: unknown
}

export type AliasSyncEvent =
  /** Refresh now (a command st2 matched but the local index did not: an alias was just added). */
  | { readonly type: "REFRESH" }
  /**
   * A command arrived while a failed load waits out its backoff: load now instead (at the
   * earliest `retryNowGap` after the failure). Ignored elsewhere, so a burst costs one load.
   */
  | { readonly type: "RETRY_NOW" }

/**
 * The alias-sync loop. The `load` actor (provided by src/actors) fetches every page of aliases,
 * rebuilds the index and publishes it; this machine only decides when.
 *
 * loading ──ok──▶ ready ──timer_update──▶ refreshing ──ok──▶ ready
 *    │                ▲                        │
 *  error            REFRESH                  error (the last good set stays published)
 *    ▼                                         ▼
 * retrying ──backoff, RETRY_NOW──▶ loading   stale ──backoff, RETRY_NOW──▶ refreshing
 */
export const aliasSyncMachine = setup({
  types: {
    context: {} as AliasSyncContext,
    events: {} as AliasSyncEvent,
    input: {} as AliasSyncInput,
  },
  actors: {
    load: fromPromise<AliasLoadOutput>(async () => {
      throw new Error("aliasSyncMachine: provide the `load` actor")
    }),
  },
  delays: {
    refreshInterval: ({ context }) => context.refreshIntervalMs,
    retryBackoff: ({ context }) =>
      backoffDelay({
        attempt: context.failures,
        baseMs: context.retryBaseMs,
        capMs: context.retryCapMs,
        random: context.random,
      }),
    retryNowGap: ({ context }) => context.retryNowGapMs,
  },
  guards: {
    retryNowOpen: ({ context }) => context.retryNow === "open",
    retryNowAsked: ({ context }) => context.retryNow === "asked",
  },
  actions: {
    recordFailure: assign(({ context, event }) => ({
      failures: context.failures + 1,
      lastError: (event as { error?: unknown }).error,
      retryNow: "holding" as const,
    })),
    askRetryNow: assign({ retryNow: "asked" as const }),
    openRetryNow: assign({ retryNow: "open" as const }),
  },
}).createMachine({
  id: "aliasSync",
  context: ({ input }) => ({
    refreshIntervalMs: input.refreshIntervalMs,
    retryBaseMs: input.retryBaseMs ?? 1_000,
    retryCapMs: input.retryCapMs ?? Math.max(1_000, Math.min(10_000, input.refreshIntervalMs)),
    retryNowGapMs: input.retryNowGapMs ?? 1_000,
    random: input.random ?? Math.random,
    retryNow: "holding",
    failures: 0,
  }),
  initial: "loading",
  states: {
    /** No good set yet: messages are answered with "aliases are loading" by the command handler. */
    loading: {
      invoke: {
        src: "load",
        onDone: { target: "ready", actions: assign(({ event }) => ({ failures: 0, last: event.output })) },
        onError: { target: "retrying", actions: "recordFailure" },
      },
    },
    retrying: {
      after: {
        retryBackoff: "loading",
        retryNowGap: [{ guard: "retryNowAsked", target: "loading" }, { actions: "openRetryNow" }],
      },
      on: {
        REFRESH: "loading",
        RETRY_NOW: [{ guard: "retryNowOpen", target: "loading" }, { actions: "askRetryNow" }],
      },
    },
    ready: {
      after: { refreshInterval: "refreshing" },
      on: { REFRESH: "refreshing" },
    },
    /** A good set is published and serves lookups while the next one loads. */
    refreshing: {
      invoke: {
        src: "load",
        onDone: { target: "ready", actions: assign(({ event }) => ({ failures: 0, last: event.output })) },
        onError: { target: "stale", actions: "recordFailure" },
      },
    },
    /** The last refresh failed; the last good set keeps serving. */
    stale: {
      after: {
        retryBackoff: "refreshing",
        retryNowGap: [{ guard: "retryNowAsked", target: "refreshing" }, { actions: "openRetryNow" }],
      },
      on: {
        REFRESH: "refreshing",
        RETRY_NOW: [{ guard: "retryNowOpen", target: "refreshing" }, { actions: "askRetryNow" }],
      },
    },
  },
})
