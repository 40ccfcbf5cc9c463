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
  /** Several commands at once, in the order typed (one chunk of chat input). */
  | { readonly type: "COMMANDS"; readonly requests: ReadonlyArray<CommandRequest> }
  /** Sent back by whoever runs a command (`runCommand`), once, when it ended in any way. */
  | { readonly type: "COMMAND_DONE"; readonly requestId: string }
  /** `count` commands ended (the ends of one event-loop turn together). */
  | { readonly type: "COMMANDS_DONE"; readonly count: number }

/** Tells the supervisor this session has commands running or queued (sent on entering `busy`). */
export type SessionBusy = { readonly type: "SESSION_BUSY"; readonly sessionKey: string }
/** Tells the supervisor this session has nothing left to run (sent on leaving `busy`). */
export type SessionIdle = { readonly type: "SESSION_IDLE"; readonly sessionKey: string }

/** New commands: as many start as there is room for, in order; the rest wait, in order. */
const admit = (context: ChatSessionContext, event: ChatSessionEvent) => {
  const incoming =
    event.type === "COMMAND" ? [event.request] : event.type === "COMMANDS" ? event.requests : []
  const room = Math.max(0, context.maxInFlight - context.running)
  return { incoming, started: Math.min(room, incoming.length) }
}
const toStart = ({ context, event }: { context: ChatSessionContext; event: ChatSessionEvent }) => {
  const { incoming, started } = admit(context, event)
  return started === incoming.length ? incoming : incoming.slice(0, started)
}

/** Commands ended: as many queued ones take their places. */
const release = (context: ChatSessionContext, event: ChatSessionEvent) => {
  const count = event.type === "COMMANDS_DONE" ? event.count : event.type === "COMMAND_DONE" ? 1 : 0
  return { count, next: Math.min(count, context.queued.length) }
}
const toResume = ({ context, event }: { context: ChatSessionContext; event: ChatSessionEvent }) =>
  context.queued.slice(0, release(context, event).next)

/** Start what can start, count it, queue the rest; and after commands ended, the same for the queue. */
const accept = [{ type: "runCommands", params: toStart }, "accepted"] as const
const resume = [{ type: "runCommands", params: toResume }, "ended"] as const

/**
 * One chat user's session: runs their commands through their auth session, at most
 * `maxInFlight` at once and the rest in order, and closes itself when idle.
 *
 * idle ──COMMAND(S)──▶ busy ──last command done, none queued──▶ idle ──idle timeout──▶ closed
 *
 * A command is not an actor: `runCommands` (provided by src/actors) starts it (match, execute,
 * ack) and sends `COMMAND_DONE` to this session when it ends, failed or not. An actor per
 * command cost more than the rest of a command's handling together. Commands may arrive and end
 * in batches (`COMMANDS`, `COMMANDS_DONE`): one transition for a burst instead of two per command.
 *
 * Invariant: commands wait in `queued` only while `maxInFlight` run.
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
    allDone: ({ context }) => context.running === 0 && context.queued.length === 0,
    hasCommands: ({ event }) =>
      event.type === "COMMAND" || (event.type === "COMMANDS" && event.requests.length > 0),
  },
  actions: {
    /** Provided by src/actors: starts each request, in order; sends `COMMAND_DONE` to `self` as each ends. */
    runCommands: (_, _requests: ReadonlyArray<CommandRequest>) => {
      throw new Error("chatSessionMachine: provide the `runCommands` action")
    },
    accepted: assign(({ context, event }) => {
      const { incoming, started } = admit(context, event)
      return {
        running: context.running + started,
        queued:
          started === incoming.length ? context.queued : [...context.queued, ...incoming.slice(started)],
      }
    }),
    ended: assign(({ context, event }) => {
      const { count, next } = release(context, event)
      return {
        running: Math.max(0, context.running - (count - next)),
        queued: next === 0 ? context.queued : context.queued.slice(next),
      }
    }),
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
    COMMAND_DONE: { actions: resume },
    COMMANDS_DONE: { actions: resume },
  },
  states: {
    idle: {
      on: {
        COMMAND: { target: "busy", actions: accept },
        COMMANDS: { guard: "hasCommands", target: "busy", actions: accept },
      },
      after: { idleTimeout: "closed" },
    },
    // Handlers live in each state, not on the root: a root transition targeting `.busy` would
    // exit and re-enter `busy` (and tell the supervisor idle, then busy) on every command.
    busy: {
      on: {
        COMMAND: { actions: accept },
        COMMANDS: { actions: accept },
      },
      entry: sendParent(({ context }): SessionBusy => ({ type: "SESSION_BUSY", sessionKey: context.key })),
      exit: sendParent(({ context }): SessionIdle => ({ type: "SESSION_IDLE", sessionKey: context.key })),
      always: { guard: "allDone", target: "idle" },
    },
    closed: { type: "final" },
  },
})
