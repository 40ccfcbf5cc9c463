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
  /** Backoff while no good set exists or a refresh failed. */
  readonly retryBaseMs?: number
  readonly retryCapMs?: number
  readonly random?: () => number
}

export interface AliasSyncContext {
  readonly refreshIntervalMs: number
  readonly retryBaseMs: number
  readonly retryCapMs: number
  readonly random: () => number
  /** Consecutive failed loads; 0 after a good one. */
  readonly failures: number
  readonly last?: AliasLoadOutput
  readonly lastError?: unknown
}

export type AliasSyncEvent =
  /** Refresh now (a command st2 matched but the local index did not: an alias was just added). */
  { readonly type: "REFRESH" }

/**
 * The alias-sync loop. The `load` actor (provided by src/actors) fetches every page of aliases,
 * rebuilds the index and publishes it; this machine only decides when.
 *
 * loading ──ok──▶ ready ──timer_update──▶ refreshing ──ok──▶ ready
 *    │                ▲                        │
 *  error            REFRESH                  error (the last good set stays published)
 *    ▼                                         ▼
 * retrying ──backoff──▶ loading             stale ──backoff──▶ refreshing
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
  },
}).createMachine({
  id: "aliasSync",
  context: ({ input }) => ({
    refreshIntervalMs: input.refreshIntervalMs,
    retryBaseMs: input.retryBaseMs ?? 1_000,
    retryCapMs: input.retryCapMs ?? Math.max(1_000, Math.min(60_000, input.refreshIntervalMs)),
    random: input.random ?? Math.random,
    failures: 0,
  }),
  initial: "loading",
  states: {
    /** No good set yet: messages are answered with "aliases are loading" by the command handler. */
    loading: {
      invoke: {
        src: "load",
        onDone: { target: "ready", actions: assign(({ event }) => ({ failures: 0, last: event.output })) },
        onError: {
          target: "retrying",
          actions: assign(({ context, event }) => ({
            failures: context.failures + 1,
            lastError: event.error,
          })),
        },
      },
    },
    retrying: {
      after: { retryBackoff: "loading" },
      on: { REFRESH: "loading" },
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
        onError: {
          target: "stale",
          actions: assign(({ context, event }) => ({
            failures: context.failures + 1,
            lastError: event.error,
          })),
        },
      },
    },
    /** The last refresh failed; the last good set keeps serving. */
    stale: {
      after: { retryBackoff: "refreshing" },
      on: { REFRESH: "refreshing" },
    },
  },
})
