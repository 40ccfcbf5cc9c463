import { HashSet } from "effect"
import { type AnyActorLogic, type AnyStateMachine, assign, enqueueActions, fromCallback, setup } from "xstate"
import type { CommandRequest } from "../bot/CommandRequest.ts"
import type { AuthMode } from "./authSessionMachine.ts"
import { backoffDelay } from "./backoffDelay.ts"
import { chatSessionMachine, type SessionBusy, type SessionIdle } from "./chatSessionMachine.ts"

/** The long-lived children every bot has, besides one `adapter:<name>` per chat backend. */
export const coreChildren = ["credential", "aliasSync", "stream"] as const
export type CoreChild = (typeof coreChildren)[number]

export interface SupervisorInput {
  /** Input of each core child (credential source, refresh interval...), passed on every (re)start. */
  readonly childInput?: Partial<Readonly<Record<CoreChild, unknown>>>
  readonly authMode: AuthMode
  readonly sessionIdleMs: number
  readonly sessionMaxInFlight: number
  /** Bound on waiting for in-flight commands at shutdown. */
  readonly drainTimeoutMs: number
  readonly restartBaseMs?: number
  readonly restartCapMs?: number
  readonly random?: () => number
}

export interface SupervisorContext {
  readonly childInput: Partial<Readonly<Record<CoreChild, unknown>>>
  readonly authMode: AuthMode
  readonly sessionIdleMs: number
  readonly sessionMaxInFlight: number
  readonly drainTimeoutMs: number
  readonly restartBaseMs: number
  readonly restartCapMs: number
  readonly random: () => number
  /** Consecutive restarts per child id; reset after a healthy minute. */
  readonly restarts: Readonly<Record<string, number>>
  /** Chat sessions: session key → child id. */
  readonly sessions: Readonly<Record<string, string>>
  /**
   * Sessions with commands running or queued (their `SESSION_BUSY`/`SESSION_IDLE`): what the
   * shutdown drain waits for. Sessions report changes, not commands, so a burst costs the
   * supervisor one event per user rather than two per command.
   */
  readonly busy: HashSet.HashSet<string>
  readonly sessionSeq: number
}

export type SupervisorEvent =
  /** A command typed in chat (sent by an adapter connection). */
  | { readonly type: "COMMAND"; readonly request: CommandRequest }
  /** A session has commands running or queued. */
  | SessionBusy
  /** A session has nothing left to run. */
  | SessionIdle
  /** Stop taking commands, let in-flight ones finish (bounded), then stop every child. */
  | { readonly type: "SHUTDOWN" }
  | { readonly type: `xstate.done.actor.session.${number}`; readonly actorId: string }
  | {
      readonly type: `xstate.error.actor.session.${number}`
      readonly actorId: string
      readonly error: unknown
    }

/** Actors a supervisor runs; src/actors provides real ones, tests provide stubs. */
export interface SupervisorChildren {
  readonly credential: AnyActorLogic
  readonly aliasSync: AnyActorLogic
  readonly stream: AnyActorLogic
  /** One logic for every chat backend; its input is `{ name }`. */
  readonly adapter: AnyActorLogic
  readonly chatSession: AnyStateMachine
}

const notProvided = (name: string) =>
  fromCallback(() => {
    throw new Error(`supervisorMachine: provide the \`${name}\` actor`)
  })

const sessionOf = (actorId: string, sessions: Readonly<Record<string, string>>) =>
  Object.entries(sessions).find(([, id]) => id === actorId)?.[0]

const childId = ({ event }: { event: SupervisorEvent }) => ("actorId" in event ? event.actorId : "")

/**
 * The root actor. A parallel state keeps one region per long-lived child (credential,
 * aliasSync, stream, one `adapter:<name>` per backend); a child that fails or ends is restarted
 * from that region's visible `restarting` state after a capped, jittered backoff. The root never
 * fails because of a child. Chat sessions are spawned on a user's first command and removed when
 * they close (idle) or fail (their next command starts a fresh one).
 *
 * up (parallel)
 *   lifecycle: accepting ──SHUTDOWN──▶ draining ──no command in flight / drain timeout──▶ #stopped
 *   <child>:   running ──error or done──▶ restarting ──backoff──▶ running
 * stopped (final: every child stopped)
 */
export const makeSupervisorMachine = (adapterNames: ReadonlyArray<string>) => {
  const childIds = [...coreChildren, ...adapterNames.map((n) => `adapter:${n}`)]
  const region = (id: string) => ({
    initial: "running",
    states: {
      running: {
        invoke: {
          id,
          systemId: id,
          src: (id.startsWith("adapter:") ? "adapter" : id) as "adapter",
          input: ({ context }: { context: SupervisorContext }) =>
            id.startsWith("adapter:")
              ? { name: id.slice("adapter:".length) }
              : context.childInput[id as CoreChild],
          onDone: "restarting",
          onError: "restarting",
        },
        after: {
          healthyMinute: {
            actions: assign(({ context }: { context: SupervisorContext }) => ({
              restarts: { ...context.restarts, [id]: 0 },
            })),
          },
        },
      },
      restarting: {
        entry: assign(({ context }: { context: SupervisorContext }) => ({
          restarts: { ...context.restarts, [id]: (context.restarts[id] ?? 0) + 1 },
        })),
        after: { [`restart:${id}`]: "running" },
      },
    },
  })

  return setup({
    types: {
      context: {} as SupervisorContext,
      events: {} as SupervisorEvent,
      input: {} as SupervisorInput,
    },
    actors: {
      credential: notProvided("credential") as AnyActorLogic,
      aliasSync: notProvided("aliasSync") as AnyActorLogic,
      stream: notProvided("stream") as AnyActorLogic,
      adapter: notProvided("adapter") as AnyActorLogic,
      chatSession: chatSessionMachine as AnyStateMachine,
    },
    delays: {
      healthyMinute: 60_000,
      drainTimeout: ({ context }) => context.drainTimeoutMs,
      ...Object.fromEntries(
        childIds.map((id) => [
          `restart:${id}`,
          ({ context }: { context: SupervisorContext }) =>
            backoffDelay({
              attempt: context.restarts[id] ?? 1,
              baseMs: context.restartBaseMs,
              capMs: context.restartCapMs,
              random: context.random,
            }),
        ]),
      ),
    },
    guards: {
      nothingInFlight: ({ context }) => HashSet.size(context.busy) === 0,
    },
    actions: {
      /** Routes a command to its user's session, spawning one when there is none (or it just closed). */
      route: enqueueActions(({ context, event, enqueue, self }) => {
        if (event.type !== "COMMAND") return
        const { request } = event
        const current = context.sessions[request.sessionKey]
        const alive =
          current !== undefined &&
          (self.getSnapshot().children as Record<string, { getSnapshot(): { status: string } } | undefined>)[
            current
          ]?.getSnapshot().status === "active"
        let id = current
        if (!alive) {
          id = `session.${context.sessionSeq}`
          enqueue.spawnChild("chatSession", {
            id,
            input: {
              key: request.sessionKey,
              authMode: context.authMode,
              idleTimeoutMs: context.sessionIdleMs,
              maxInFlight: context.sessionMaxInFlight,
            },
          })
        }
        if (!alive)
          enqueue.assign({
            sessions: { ...context.sessions, [request.sessionKey]: id! },
            sessionSeq: context.sessionSeq + 1,
          })
        enqueue.sendTo(id!, { type: "COMMAND", request })
      }),
      sessionBusy: assign(({ context, event }) => {
        if (event.type !== "SESSION_BUSY") return {}
        return { busy: HashSet.add(context.busy, event.sessionKey) }
      }),
      sessionIdle: assign(({ context, event }) => {
        if (event.type !== "SESSION_IDLE") return {}
        return { busy: HashSet.remove(context.busy, event.sessionKey) }
      }),
      /** A session ended: forget it and (if it failed) the commands it still had. */
      sessionEnded: assign(({ context, event }) => {
        const key = sessionOf(childId({ event }), context.sessions)
        if (key === undefined) return {}
        const { [key]: _, ...sessions } = context.sessions
        return { sessions, busy: HashSet.remove(context.busy, key) }
      }),
      /** Provided by src/actors: answers a command that arrives while shutting down. */
      refuseCommand: () => {},
    },
  }).createMachine({
    id: "supervisor",
    context: ({ input }) => ({
      childInput: input.childInput ?? {},
      authMode: input.authMode,
      sessionIdleMs: input.sessionIdleMs,
      sessionMaxInFlight: input.sessionMaxInFlight,
      drainTimeoutMs: input.drainTimeoutMs,
      restartBaseMs: input.restartBaseMs ?? 500,
      restartCapMs: input.restartCapMs ?? 30_000,
      random: input.random ?? Math.random,
      restarts: {},
      sessions: {},
      busy: HashSet.empty(),
      sessionSeq: 0,
    }),
    initial: "up",
    on: {
      SESSION_BUSY: { actions: "sessionBusy" },
      SESSION_IDLE: { actions: "sessionIdle" },
      "xstate.done.actor.session.*": { actions: "sessionEnded" },
      "xstate.error.actor.session.*": { actions: "sessionEnded" },
    },
    states: {
      up: {
        type: "parallel",
        states: {
          lifecycle: {
            initial: "accepting",
            states: {
              accepting: {
                on: { COMMAND: { actions: "route" }, SHUTDOWN: "draining" },
              },
              draining: {
                on: { COMMAND: { actions: "refuseCommand" } },
                always: { guard: "nothingInFlight", target: "#supervisor.stopped" },
                after: { drainTimeout: "#supervisor.stopped" },
              },
            },
          },
          ...Object.fromEntries(childIds.map((id) => [id, region(id)])),
        } as never,
      },
      stopped: { type: "final" },
    },
  })
}

export type SupervisorMachine = ReturnType<typeof makeSupervisorMachine>
