import { assign, emit, fromCallback, setup } from "xstate"
import type { ConnectionStatus } from "../adapters/ChatAdapter.ts"
import { backoffDelay } from "./backoffDelay.ts"

/*
 * One chat backend's connection as states. Pure: the actor layer provides the `connection`
 * child (src/actors/adapterConnectionLogic.ts), a callback actor that opens one adapter
 * session (`ChatAdapter.connect`) for as long as it runs and sends back every status change as
 * STATUS. Leaving `session` stops the child, which closes the session. Every wait is a named
 * delay. See docs/machines/adapter-connection.md.
 *
 *   session ─┬─ connecting ──Connected──▶ connected ──Reconnecting──▶ resuming ──Connected──▶ connected
 *            │   (connectTimeout)           (healthyPeriod: reset backoff)   (connectTimeout)
 *            ├─ Disconnected / Stopped(closed) / child error or end / timeout ──▶ reconnecting
 *            ├─ InvalidCredentials ──▶ invalidCredentials (waits for RETRY; the bot keeps running)
 *            └─ Stopped(inputEnded) ──▶ inputEnded (emits adapter.inputEnded: drain and exit)
 *   reconnecting ──after reconnectDelay──▶ session (a fresh child, a fresh session)
 *   STOP, from anywhere ──▶ stopped (final)
 */

export const FIRST_RECONNECT_MS = 1_000
export const MAX_RECONNECT_MS = 60_000
/** Longest time to reach Connected (first time or when resuming) before starting over. */
export const CONNECT_TIMEOUT_MS = 30_000
/** Connected this long resets the backoff. */
export const HEALTHY_PERIOD_MS = 60_000

export type AdapterConnectionEvent =
  /** From the `connection` child: the adapter's status changed. */
  | { readonly type: "STATUS"; readonly status: ConnectionStatus }
  /** Try again after invalid credentials (new configuration) or right now during a backoff. */
  | { readonly type: "RETRY" }
  | { readonly type: "STOP" }

/** Emitted so the app can report and react: `actor.on("adapter.invalidCredentials", ...)`. */
export type AdapterConnectionEmitted =
  | { readonly type: "adapter.connected"; readonly name: string }
  | { readonly type: "adapter.invalidCredentials"; readonly name: string; readonly reason: string }
  | { readonly type: "adapter.inputEnded"; readonly name: string }

export interface AdapterConnectionInput {
  /** The adapter instance name (the supervisor passes `{ name }`). */
  readonly name: string
  readonly random?: (() => number) | undefined
  readonly firstReconnectMs?: number
  readonly maxReconnectMs?: number
  readonly connectTimeoutMs?: number
}

export interface AdapterConnectionContext {
  readonly name: string
  /** Consecutive failed sessions since the last healthy period. */
  readonly attempt: number
  /** Why the last session ended or was refused; for logs and `adapter status`. */
  readonly lastReason: string | undefined
  readonly retryDelayMs: number
  readonly firstReconnectMs: number
  readonly maxReconnectMs: number
  readonly connectTimeoutMs: number
  readonly random: () => number
}

export interface AdapterConnectionChildInput {
  readonly name: string
  readonly attempt: number
}

const statusIs =
  <T extends ConnectionStatus["_tag"]>(tag: T, reason?: string) =>
  ({ event }: { event: AdapterConnectionEvent }) =>
    event.type === "STATUS" &&
    event.status._tag === tag &&
    (reason === undefined || ("reason" in event.status && event.status.reason === reason))

const reasonOf = (event: AdapterConnectionEvent): string => {
  if (event.type !== "STATUS") return event.type
  const s = event.status
  if (s._tag === "Stopped") return `session ${s.reason}`
  return "reason" in s ? s.reason : s._tag
}

export const adapterConnectionMachine = setup({
  types: {
    context: {} as AdapterConnectionContext,
    events: {} as AdapterConnectionEvent,
    emitted: {} as AdapterConnectionEmitted,
    input: {} as AdapterConnectionInput,
  },
  actors: {
    // Placeholder: the actor layer provides the real one with `adapterConnectionMachine.provide`.
    connection: fromCallback<AdapterConnectionEvent, AdapterConnectionChildInput>(() => undefined),
  },
  delays: {
    reconnectDelay: ({ context }) => context.retryDelayMs,
    connectTimeout: ({ context }) => context.connectTimeoutMs,
    healthyPeriod: HEALTHY_PERIOD_MS,
  },
  guards: {
    connected: statusIs("Connected"),
    reconnecting: statusIs("Reconnecting"),
    connecting: statusIs("Connecting"),
    /** The session is gone and the adapter will not heal it: back off and open a new one. */
    sessionLost: ({ event }) =>
      statusIs("Disconnected")({ event }) || statusIs("Stopped", "closed")({ event }),
    inputEnded: statusIs("Stopped", "inputEnded"),
    invalidCredentials: statusIs("InvalidCredentials"),
  },
  actions: {
    recordFailure: assign(({ context }, params: { readonly reason: string }) => ({
      attempt: context.attempt + 1,
      lastReason: params.reason,
      retryDelayMs: backoffDelay({
        attempt: context.attempt + 1,
        baseMs: context.firstReconnectMs,
        capMs: context.maxReconnectMs,
        random: context.random,
      }),
    })),
    resetAttempts: assign({ attempt: 0 }),
  },
}).createMachine({
  id: "adapterConnection",
  context: ({ input }) => ({
    name: input.name,
    attempt: 0,
    lastReason: undefined,
    retryDelayMs: 0,
    firstReconnectMs: input.firstReconnectMs ?? FIRST_RECONNECT_MS,
    maxReconnectMs: input.maxReconnectMs ?? MAX_RECONNECT_MS,
    connectTimeoutMs: input.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
    random: input.random ?? Math.random,
  }),
  initial: "session",
  // At the root, so no state meets STOP unprepared.
  on: { STOP: ".stopped" },
  states: {
    session: {
      invoke: {
        id: "connection",
        src: "connection",
        input: ({ context }) => ({ name: context.name, attempt: context.attempt }),
        onDone: {
          target: "reconnecting",
          actions: { type: "recordFailure", params: { reason: "the connection ended" } },
        },
        onError: {
          target: "reconnecting",
          actions: {
            type: "recordFailure",
            params: ({ event }) => ({
              reason: `the connection failed: ${event.error instanceof Error ? event.error.message : String(event.error)}`,
            }),
          },
        },
      },
      initial: "connecting",
      on: {
        STATUS: [
          {
            guard: "invalidCredentials",
            target: "invalidCredentials",
            actions: assign({ lastReason: ({ event }) => reasonOf(event) }),
          },
          { guard: "inputEnded", target: "inputEnded" },
          {
            guard: "sessionLost",
            target: "reconnecting",
            actions: { type: "recordFailure", params: ({ event }) => ({ reason: reasonOf(event) }) },
          },
        ],
      },
      states: {
        connecting: {
          on: { STATUS: { guard: "connected", target: "connected" } },
          after: {
            connectTimeout: {
              target: "#adapterConnection.reconnecting",
              actions: { type: "recordFailure", params: { reason: "timed out connecting" } },
            },
          },
        },
        connected: {
          entry: emit(({ context }) => ({ type: "adapter.connected" as const, name: context.name })),
          on: {
            STATUS: [
              { guard: "reconnecting", target: "resuming" },
              { guard: "connecting", target: "resuming" },
            ],
          },
          after: { healthyPeriod: { actions: "resetAttempts" } },
        },
        resuming: {
          on: { STATUS: { guard: "connected", target: "connected" } },
          after: {
            connectTimeout: {
              target: "#adapterConnection.reconnecting",
              actions: { type: "recordFailure", params: { reason: "timed out resuming" } },
            },
          },
        },
      },
    },
    reconnecting: {
      on: { RETRY: "session" },
      after: { reconnectDelay: "session" },
    },
    invalidCredentials: {
      entry: emit(({ context }) => ({
        type: "adapter.invalidCredentials" as const,
        name: context.name,
        reason: context.lastReason ?? "invalid credentials",
      })),
      on: { RETRY: { target: "session", actions: "resetAttempts" } },
    },
    inputEnded: {
      entry: emit(({ context }) => ({ type: "adapter.inputEnded" as const, name: context.name })),
    },
    stopped: { type: "final" },
  },
})
