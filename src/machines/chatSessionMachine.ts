import { assign, enqueueActions, fromPromise, setup } from "xstate"
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
  /** Running commands: child id → request id. */
  readonly running: Readonly<Record<string, string>>
  readonly queued: ReadonlyArray<CommandRequest>
  /** Sequence for child ids (`cmd.<n>`). */
  readonly started: number
}

export type ChatSessionEvent =
  | { readonly type: "COMMAND"; readonly request: CommandRequest }
  /** A command child ended (XState's events for spawned children, typed here for the handlers). */
  | { readonly type: `xstate.done.actor.cmd.${number}`; readonly actorId: string }
  | { readonly type: `xstate.error.actor.cmd.${number}`; readonly actorId: string; readonly error: unknown }

/** Tells the supervisor a command of this session ended (its count of in-flight commands). */
export type CommandFinished = { readonly type: "COMMAND_FINISHED"; readonly requestId: string }

const childId = ({ event }: { event: ChatSessionEvent }) => ("actorId" in event ? event.actorId : "")

/**
 * One chat user's session: runs their commands (each a `command` child provided by src/actors:
 * match, execute, ack) through their auth session, and closes itself when idle.
 *
 * idle ──COMMAND──▶ busy ──last command done, none queued──▶ idle ──idle timeout──▶ closed
 */
export const chatSessionMachine = setup({
  types: {
    context: {} as ChatSessionContext,
    events: {} as ChatSessionEvent,
    input: {} as ChatSessionInput,
  },
  actors: {
    auth: authSessionMachine,
    command: fromPromise<void, { readonly request: CommandRequest; readonly sessionKey: string }>(
      async () => {
        throw new Error("chatSessionMachine: provide the `command` actor")
      },
    ),
  },
  delays: {
    idleTimeout: ({ context }) => context.idleTimeoutMs,
  },
  guards: {
    hasRoom: ({ context }) => Object.keys(context.running).length < context.maxInFlight,
    allDone: ({ context }) => Object.keys(context.running).length === 0 && context.queued.length === 0,
  },
  actions: {
    /** Starts `request` as child `cmd.<n>`. */
    startCommand: enqueueActions(({ context, enqueue }, request: CommandRequest) => {
      const id = `cmd.${context.started}`
      enqueue.spawnChild("command", { id, input: { request, sessionKey: context.key } })
      enqueue.assign({ running: { ...context.running, [id]: request.id }, started: context.started + 1 })
    }),
    /** A command child ended (done or error: the command actor reports its own failures). */
    finished: enqueueActions(({ context, enqueue }, actorId: string) => {
      const requestId = context.running[actorId]
      if (requestId === undefined) return
      const { [actorId]: _, ...running } = context.running
      const [next, ...queued] = context.queued
      if (next === undefined) {
        enqueue.assign({ running })
      } else {
        const id = `cmd.${context.started}`
        enqueue.spawnChild("command", { id, input: { request: next, sessionKey: context.key } })
        enqueue.assign({ running: { ...running, [id]: next.id }, queued, started: context.started + 1 })
      }
      enqueue.sendParent({ type: "COMMAND_FINISHED", requestId } satisfies CommandFinished)
    }),
  },
}).createMachine({
  id: "chatSession",
  context: ({ input }) => ({
    key: input.key,
    authMode: input.authMode,
    idleTimeoutMs: input.idleTimeoutMs,
    maxInFlight: Math.max(1, input.maxInFlight),
    running: {},
    queued: [],
    started: 0,
  }),
  invoke: { src: "auth", id: "auth", input: ({ context }) => ({ mode: context.authMode }) },
  initial: "idle",
  on: {
    COMMAND: [
      {
        guard: "hasRoom",
        target: ".busy",
        actions: { type: "startCommand", params: ({ event }) => event.request },
      },
      {
        target: ".busy",
        actions: assign({ queued: ({ context, event }) => [...context.queued, event.request] }),
      },
    ],
    "xstate.done.actor.cmd.*": { actions: { type: "finished", params: childId } },
    "xstate.error.actor.cmd.*": { actions: { type: "finished", params: childId } },
  },
  states: {
    idle: {
      after: { idleTimeout: "closed" },
    },
    busy: {
      always: { guard: "allDone", target: "idle" },
    },
    closed: { type: "final" },
  },
})
