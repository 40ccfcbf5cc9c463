import { assign, emit, fromCallback, fromPromise, setup } from "xstate"
import type { CredentialUnavailable, St2Credential } from "../st2/St2Credential.ts"
import type { St2Error } from "../st2/St2Error.ts"

/*
 * The st2 event-stream connection as states. Pure: the actor layer (src/actors/streamActor.ts)
 * provides the two children that do I/O:
 * - `connection` (a callback actor): opens the stream with the bot's credential and sends back
 *   OPENED, then BYTES (liveness, at most one per `bytesIntervalMs` of its input) and EVENTS (the events
 *   parsed from one read, in order) as they arrive, and at the end exactly one CLOSED or FAILED.
 * - `refreshCredential` (a promise actor): reports the rejected credential to the credential
 *   actor and waits for a fresh one.
 * Every wait is a named delay, so it shows in inspection and tests drive it with SimulatedClock.
 * See docs/machines/stream.md.
 */

/** The first reconnect happens within this many ms (attempt 1: 250–500 ms). */
export const FIRST_RETRY_MS = 500
/** No reconnect waits longer than this. */
export const MAX_RETRY_MS = 5_000
/**
 * st2 sends a heartbeat every 25 s of silence; this long without a byte means the connection is
 * dead (`limits.stream_silence`'s default: one heartbeat late by 10 s). The input's
 * `silenceLimitMs` replaces it.
 */
export const DEFAULT_SILENCE_LIMIT_MS = 35_000
/**
 * The connection child reports bytes at most this often (a transition, and timer reset, per chunk
 * cost more than the chunk's events at thousands per second), or a quarter of the silence limit
 * when that is shorter, so the reports always come well within the limit.
 */
export const BYTES_INTERVAL_MS = 1_000

/** How often the connection child reports bytes under `silenceLimitMs`. */
export const bytesIntervalMs = (silenceLimitMs: number): number =>
  Math.min(BYTES_INTERVAL_MS, Math.max(1, Math.floor(silenceLimitMs / 4)))
/** A connection open this long resets the backoff. */
export const HEALTHY_PERIOD_MS = 60_000
/** The longest wait for a fresh credential after a 401 before trying again anyway. */
export const CREDENTIAL_WAIT_MS = 30_000

/**
 * Backoff with "equal jitter": attempt n waits between half and all of min(5 s, 0.5 s × 2^(n-1)).
 * `random` is in [0, 1). Attempt 1 → 250–500 ms, 2 → 0.5–1 s, 3 → 1–2 s, 4 → 2–4 s, then 2.5–5 s.
 */
export const reconnectDelayMs = (attempt: number, random: number): number => {
  const ceiling = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (Math.max(1, attempt) - 1))
  const r = Math.min(Math.max(random, 0), 1)
  return Math.round(ceiling / 2 + (r * ceiling) / 2)
}

/** The server ended the body (st2 restarting, nginx's `retry: 1000` answer when st2stream is down). */
export interface StreamEnded {
  readonly _tag: "StreamEnded"
}
/** Nothing arrived for the silence limit (`silentMs`), while opening or while open. */
export interface StreamSilent {
  readonly _tag: "StreamSilent"
  readonly phase: "connecting" | "connected"
  readonly silentMs: number
}
/** The credential actor did not answer within `CREDENTIAL_WAIT_MS`. */
export interface CredentialWaitExpired {
  readonly _tag: "CredentialWaitExpired"
  readonly waitedMs: number
}
/** A bug (an exception nobody expected) in the connection child. */
export interface StreamDefect {
  readonly _tag: "StreamDefect"
  readonly message: string
}

/** Everything that can end a connection attempt. */
export type StreamFailure =
  | St2Error
  | CredentialUnavailable
  | StreamEnded
  | StreamSilent
  | CredentialWaitExpired
  | StreamDefect

/** What the machine does about a failure. There is no "give up": a bot that stops listening is deaf. */
export type StreamRecovery = "reconnect" | "reauthenticate"

/** A new failure type fails to compile in the switch below; at run time an unknown one reconnects. */
const reconnectAnyway = (_unclassified: never): StreamRecovery => "reconnect"

/**
 * Total mapping from a failure to the machine's answer (the discord.js close-code idea).
 * Only a 401 needs a new credential; everything else, 403/404 and a rejected credential included,
 * waits with backoff and tries again (an operator may fix it; the log says why each time).
 */
export const classifyStreamFailure = (failure: StreamFailure): StreamRecovery => {
  switch (failure._tag) {
    case "St2Unauthorized":
      return "reauthenticate"
    case "St2Forbidden":
    case "St2NotFound":
    case "St2BadRequest":
    case "St2Conflict":
    case "St2ServerError":
    case "St2Unavailable":
    case "St2Timeout":
    case "St2UndecodableBody":
    case "St2ResponseTooLarge":
    case "CredentialUnavailable":
    case "StreamEnded":
    case "StreamSilent":
    case "CredentialWaitExpired":
    case "StreamDefect":
      return "reconnect"
    default:
      return reconnectAnyway(failure)
  }
}

/** Events the machine accepts. The first five come from the `connection` child. */
export type StreamMachineEvent =
  | { readonly type: "OPENED"; readonly at: number; readonly requestId?: string | undefined }
  | { readonly type: "BYTES" }
  /** The events parsed from one read of the body, in arrival order (one transition per read). */
  | { readonly type: "EVENTS"; readonly events: ReadonlyArray<StreamEvent> }
  | { readonly type: "CLOSED" }
  | {
      readonly type: "FAILED"
      readonly error: StreamFailure
      readonly credential?: St2Credential | undefined
    }
  | { readonly type: "STOP" }

/** One event read from the stream: its name and its JSON data. */
export interface StreamEvent {
  readonly event: string
  readonly data: unknown
}

/** Emitted for each batch of stream events, in arrival order: `actor.on("stream.events", ...)`. */
export interface StreamEventsEmitted {
  readonly type: "stream.events"
  readonly events: ReadonlyArray<StreamEvent>
}

export interface StreamMachineContext {
  /** Consecutive failed connections since the last healthy period; 0 before the first failure. */
  readonly attempt: number
  readonly lastError: StreamFailure | undefined
  /** When (epoch ms, from the connection child) the current connection opened. */
  readonly connectedSince: number | undefined
  /** The wait chosen, with jitter, for the next reconnect. */
  readonly retryDelayMs: number
  /** The credential st2 last answered 401 to; handed to `refreshCredential`. */
  readonly rejectedCredential: St2Credential | undefined
  readonly eventsReceived: number
  /** Jitter source in [0, 1); `Math.random` unless the input says otherwise (tests pin it). */
  readonly random: () => number
  /** Longest silence (no byte) before the connection counts as dead, connecting or connected. */
  readonly silenceLimitMs: number
}

export interface StreamMachineInput {
  readonly random?: (() => number) | undefined
  /** `limits.stream_silence` in ms; default `DEFAULT_SILENCE_LIMIT_MS` (35 s). */
  readonly silenceLimitMs?: number | undefined
}

export interface ConnectionInput {
  readonly attempt: number
  /** Report BYTES at most this often (`bytesIntervalMs(silenceLimitMs)`). */
  readonly bytesIntervalMs: number
}
export interface RefreshCredentialInput {
  readonly credential: St2Credential | undefined
  readonly error: StreamFailure | undefined
}

const failureOf = (event: StreamMachineEvent): StreamFailure =>
  event.type === "FAILED" ? event.error : { _tag: "StreamEnded" }

/** A refreshCredential rejection as a failure: CredentialUnavailable when tagged, else a defect. */
const asFailure = (error: unknown): StreamFailure => {
  if (typeof error === "object" && error !== null && "_tag" in error) {
    const tag = (error as { _tag: unknown })._tag
    if (tag === "CredentialUnavailable") return error as CredentialUnavailable
  }
  return { _tag: "StreamDefect", message: error instanceof Error ? error.message : String(error) }
}

export const streamMachine = setup({
  types: {
    context: {} as StreamMachineContext,
    events: {} as StreamMachineEvent,
    emitted: {} as StreamEventsEmitted,
    input: {} as StreamMachineInput,
  },
  actors: {
    // Placeholders: the actor layer provides the real ones with `streamMachine.provide`.
    connection: fromCallback<StreamMachineEvent, ConnectionInput>(() => undefined),
    refreshCredential: fromPromise<void, RefreshCredentialInput>(() =>
      Promise.reject(new Error("refreshCredential not provided")),
    ),
  },
  delays: {
    reconnectDelay: ({ context }) => context.retryDelayMs,
    silenceLimit: ({ context }) => context.silenceLimitMs,
    healthyPeriod: HEALTHY_PERIOD_MS,
    credentialWait: CREDENTIAL_WAIT_MS,
  },
  guards: {
    mustReauthenticate: ({ event }) =>
      event.type === "FAILED" && classifyStreamFailure(event.error) === "reauthenticate",
    firstAttempt: ({ context }) => context.attempt <= 1,
  },
  actions: {
    recordFailure: assign(({ context }, params: { readonly error: StreamFailure }) => ({
      attempt: context.attempt + 1,
      lastError: params.error,
      connectedSince: undefined,
      retryDelayMs: reconnectDelayMs(context.attempt + 1, context.random()),
    })),
    rememberCredential: assign({
      rejectedCredential: ({ event }) => (event.type === "FAILED" ? event.credential : undefined),
    }),
    markOpen: assign({ connectedSince: ({ event }) => (event.type === "OPENED" ? event.at : undefined) }),
    resetAttempts: assign({ attempt: 0 }),
    forwardEvents: emit(({ event }) => {
      if (event.type !== "EVENTS") throw new Error(`forwardEvents on ${event.type}`)
      return { type: "stream.events" as const, events: event.events }
    }),
    countEvents: assign({
      eventsReceived: ({ context, event }) =>
        context.eventsReceived + (event.type === "EVENTS" ? event.events.length : 0),
    }),
  },
}).createMachine({
  id: "stream",
  initial: "live",
  context: ({ input }) => ({
    attempt: 0,
    lastError: undefined,
    connectedSince: undefined,
    retryDelayMs: reconnectDelayMs(1, 1),
    rejectedCredential: undefined,
    eventsReceived: 0,
    random: input?.random ?? Math.random,
    silenceLimitMs: input?.silenceLimitMs ?? DEFAULT_SILENCE_LIMIT_MS,
  }),
  // At the root, so that no state can meet a stop it does not expect.
  on: { STOP: ".stopped" },
  states: {
    /** A connection child exists: opening or open. Leaving this state stops (and aborts) it. */
    live: {
      invoke: {
        id: "connection",
        src: "connection",
        input: ({ context }) => ({
          attempt: context.attempt,
          bytesIntervalMs: bytesIntervalMs(context.silenceLimitMs),
        }),
      },
      initial: "connecting",
      on: {
        EVENTS: { actions: ["countEvents", "forwardEvents"] },
        CLOSED: {
          target: "reconnecting",
          actions: { type: "recordFailure", params: ({ event }) => ({ error: failureOf(event) }) },
        },
        FAILED: [
          {
            guard: "mustReauthenticate",
            target: "awaitingCredential",
            actions: [
              { type: "recordFailure", params: ({ event }) => ({ error: failureOf(event) }) },
              "rememberCredential",
            ],
          },
          {
            target: "reconnecting",
            actions: { type: "recordFailure", params: ({ event }) => ({ error: failureOf(event) }) },
          },
        ],
      },
      states: {
        connecting: {
          on: { OPENED: { target: "connected", actions: "markOpen" } },
          after: {
            silenceLimit: {
              target: "#stream.reconnecting",
              actions: {
                type: "recordFailure",
                params: ({ context }) => ({
                  error: { _tag: "StreamSilent", phase: "connecting", silentMs: context.silenceLimitMs },
                }),
              },
            },
          },
        },
        connected: {
          after: { healthyPeriod: { actions: "resetAttempts" } },
          initial: "listening",
          states: {
            /** Re-entered on every BYTES, which restarts its silence timer. */
            listening: {
              on: { BYTES: { target: "listening", reenter: true } },
              after: {
                silenceLimit: {
                  target: "#stream.reconnecting",
                  actions: {
                    type: "recordFailure",
                    params: ({ context }) => ({
                      error: { _tag: "StreamSilent", phase: "connected", silentMs: context.silenceLimitMs },
                    }),
                  },
                },
              },
            },
          },
        },
      },
    },
    /** Waiting `reconnectDelay` (backoff with jitter) before opening again. */
    reconnecting: {
      after: { reconnectDelay: "live" },
    },
    /** st2 said 401: report the credential and wait for a fresh one before reconnecting. */
    awaitingCredential: {
      invoke: {
        src: "refreshCredential",
        input: ({ context }) => ({ credential: context.rejectedCredential, error: context.lastError }),
        onDone: [
          // A fresh credential after a first failure: reconnect at once; repeated 401s back off.
          { guard: "firstAttempt", target: "live" },
          { target: "reconnecting" },
        ],
        onError: {
          target: "reconnecting",
          actions: assign({
            lastError: ({ event }) => asFailure(event.error),
          }),
        },
      },
      after: {
        credentialWait: {
          target: "reconnecting",
          actions: assign({
            lastError: { _tag: "CredentialWaitExpired", waitedMs: CREDENTIAL_WAIT_MS } as StreamFailure,
          }),
        },
      },
    },
    stopped: { type: "final" },
  },
})

export type StreamMachine = typeof streamMachine
