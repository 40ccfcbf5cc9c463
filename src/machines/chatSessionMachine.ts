import { assign, sendParent, setup } from "xstate"
import type { CommandRequest } from "../bot/CommandRequest.ts"
import { type AuthMode, authSessionMachine } from "./authSessionMachine.ts"

export interface ChatSessionInput {
  readonly key: string
  readonly authMode: AuthMode
  /** Close the session after this long without commands. */
  readonly idleTimeoutMs: number
  /** Commands of one user run concurrently up to this bound; further ones wait in order. */
  readonly maxInFlight: number
}

export interface ChatSessionContext {
  readonly key: string
  readonly authMode: AuthMode
  readonly idleTimeoutMs: number
  readonly maxInFlight: number
  /** Commands started and not yet reported done. */
  readonly running: number
  readonly queued: ReadonlyArray<CommandRequest>
}

export type ChatSessionEvent =
  | { readonly type: "COMMAND"; readonly request: CommandRequest }
  /** Sent back by whoever runs a command (`runCommand`), once, when it ended in any way. */
  | { readonly type: "COMMAND_DONE"; readonly requestId: string }

/** Tells the supervisor this session has commands running or queued (sent on entering `busy`). */
export type SessionBusy = { readonly type: "SESSION_BUSY"; readonly sessionKey: string }
/** Tells the supervisor this session has nothing left to run (sent on leaving `busy`). */
export type SessionIdle = { readonly type: "SESSION_IDLE"; readonly sessionKey: string }

/**
 * One chat user's session: runs their commands through their auth session, at most
 * `maxInFlight` at once and the rest in order, and closes itself when idle.
 *
 * idle ──COMMAND──▶ busy ──last command done, none queued──▶ idle ──idle timeout──▶ closed
 *
 * A command is not an actor: `runCommand` (provided by src/actors) starts it (match, execute,
 * ack) on a fiber the bot owns and sends `COMMAND_DONE` to this session when it ends, failed or
 * not. An actor per command cost more than the rest of a command's handling together.
 */
export const chatSessionMachine = setup({
  types: {
    context: {} as ChatSessionContext,
    events: {} as ChatSessionEvent,
    input: {} as ChatSessionInput,
  },
  actors: {
    auth: authSessionMachine,
  },
  delays: {
    idleTimeout: ({ context }) => context.idleTimeoutMs,
  },
  guards: {
    hasQueued: ({ context }) => context.queued.length > 0,
    hasRoom: ({ context }) => context.running < context.maxInFlight,
    allDone: ({ context }) => context.running === 0 && context.queued.length === 0,
  },
  actions: {
    countRunning: assign({ running: ({ context }) => context.running + 1 }),
    /** Provided by src/actors: starts `request`; sends `COMMAND_DONE` to `self` when it ends. */
    runCommand: (_, _request: CommandRequest) => {
      throw new Error("chatSessionMachine: provide the `runCommand` action")
    },
  },
}).createMachine({
  id: "chatSession",
  context: ({ input }) => ({
    key: input.key,
    authMode: input.authMode,
    idleTimeoutMs: input.idleTimeoutMs,
    maxInFlight: Math.max(1, input.maxInFlight),
    running: 0,
    queued: [],
  }),
  invoke: { src: "auth", id: "auth", input: ({ context }) => ({ mode: context.authMode }) },
  initial: "idle",
  on: {
    // A command ended: the next queued one (if any) takes its place.
    COMMAND_DONE: [
      {
        guard: "hasQueued",
        actions: [
          { type: "runCommand", params: ({ context }) => context.queued[0]! },
          assign({ queued: ({ context }) => context.queued.slice(1) }),
        ],
      },
      { actions: assign({ running: ({ context }) => Math.max(0, context.running - 1) }) },
    ],
  },
  states: {
    idle: {
      on: {
        COMMAND: {
          target: "busy",
          actions: ["countRunning", { type: "runCommand", params: ({ event }) => event.request }],
        },
      },
      after: { idleTimeout: "closed" },
    },
    // Handlers live in each state, not on the root: a root transition targeting `.busy` would
    // exit and re-enter `busy` (and tell the supervisor idle, then busy) on every command.
    busy: {
      on: {
        COMMAND: [
          {
            guard: "hasRoom",
            actions: ["countRunning", { type: "runCommand", params: ({ event }) => event.request }],
          },
          { actions: assign({ queued: ({ context, event }) => [...context.queued, event.request] }) },
        ],
      },
      entry: sendParent(({ context }): SessionBusy => ({ type: "SESSION_BUSY", sessionKey: context.key })),
      exit: sendParent(({ context }): SessionIdle => ({ type: "SESSION_IDLE", sessionKey: context.key })),
      always: { guard: "allDone", target: "idle" },
    },
    closed: { type: "final" },
  },
})
