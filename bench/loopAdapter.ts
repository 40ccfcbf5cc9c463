import { Effect } from "effect"
import { makeAdapterStreams } from "../src/adapters/AdapterStreams.ts"
import { type ChatAdapter, ChatTarget } from "../src/adapters/ChatAdapter.ts"
import { ChatTargetUnknown } from "../src/adapters/ChatAdapterError.ts"
import type { ChatMessage, ChatRoom, ChatUser } from "../src/adapters/ChatMessage.ts"
import { sourceContextOf } from "../src/adapters/SourceContext.ts"

/** One command of a round: who types it, where, and the tag that comes back in its ack and result. */
export interface BenchCommand {
  readonly user: number
  readonly room: number
  readonly tag: string
}

/** Per-command timings of one round, in ms since `performance.timeOrigin`. */
export interface RoundTimings {
  readonly injectedAt: Float64Array
  readonly ackAt: Float64Array
  readonly resultAt: Float64Array
  /** Messages that were neither an expected ack nor an expected result (errors, stray text). */
  readonly unexpected: ReadonlyArray<string>
}

/**
 * A lean chat backend for `npm run bench`: no limits, no pacing, always connected. `round`
 * pushes every command at once (as fast as a loop can), timestamps each, and resolves when
 * every ack and every result has been sent back. A command is `run echo <tag> on localhost`;
 * its ack is "Running `echo <tag>` on localhost..." and its result "localhost: <tag>".
 */
export interface BenchAdapter extends ChatAdapter {
  /** Injects the round; `done` resolves when everything came back, `timings` fills in meanwhile. */
  readonly round: (commands: ReadonlyArray<BenchCommand>) => {
    readonly done: Promise<void>
    readonly timings: RoundTimings
  }
}

const ackPattern = /^Running `echo (\S+)`/
const resultPattern = /^localhost: (\S+)/

export const makeBenchAdapter = (name = "bench"): BenchAdapter => {
  const streams = makeAdapterStreams({ _tag: "Connected" })
  const users = new Map<string, ChatUser>()
  const rooms = new Map<string, ChatRoom>()
  const userOf = (i: number): ChatUser => {
    const handle = `user${i}`
    let u = users.get(handle)
    if (u === undefined) {
      u = { id: `U${i}`, displayName: handle, handle }
      users.set(handle, u)
    }
    return u
  }
  const roomOf = (i: number): ChatRoom => {
    const roomName = `bench${i}`
    let r = rooms.get(roomName)
    if (r === undefined) {
      r = { id: `C${i}`, name: roomName }
      rooms.set(roomName, r)
    }
    return r
  }

  let nextId = 1
  // The round in progress: tag → index, and what is still owed.
  let index = new Map<string, number>()
  let timings: { injectedAt: Float64Array; ackAt: Float64Array; resultAt: Float64Array; unexpected: string[] }
  let owed = 0
  let finish: (() => void) | undefined

  const record = (text: string) => {
    const now = performance.now()
    const ack = ackPattern.exec(text)
    const result = ack === null ? resultPattern.exec(text) : null
    const i = index.get((ack ?? result)?.[1] ?? "")
    const slot = ack !== null ? timings?.ackAt : timings?.resultAt
    if (i === undefined || slot === undefined || slot[i] !== 0) {
      timings?.unexpected.push(text)
      return
    }
    slot[i] = now
    if (--owed === 0) finish?.()
  }

  return {
    name,
    kind: "bench",
    limits: { maxMessageLength: 1_000_000, minSendIntervalMs: 0 },
    capabilities: { threads: true, ephemeral: false, richExtra: false },
    connect: Effect.void,
    status: streams.status,
    messages: streams.messages,
    userToSt2: (user) => `@${user.handle}`,
    roomToSt2: (room, threadId) => `#${room.name}${threadId === undefined ? "" : `/${threadId}`}`,
    resolveTarget: (channel) =>
      Effect.suspend(() => {
        if (channel.startsWith("@")) {
          const u = users.get(channel.slice(1))
          if (u !== undefined) return Effect.succeed(ChatTarget.direct(u))
        } else if (channel.startsWith("#")) {
          const [roomName = "", threadId] = channel.slice(1).split("/", 2)
          const r = rooms.get(roomName)
          if (r !== undefined) return Effect.succeed(ChatTarget.room(r, threadId))
        }
        return Effect.fail(
          new ChatTargetUnknown({ adapter: name, channel, reason: `no room or user "${channel}"` }),
        )
      }),
    resolveUser: (raw) =>
      Effect.suspend(() => {
        const u = users.get(raw.replace(/^@/, ""))
        return u === undefined
          ? Effect.fail(new ChatTargetUnknown({ adapter: name, user: raw, reason: `no user "${raw}"` }))
          : Effect.succeed(u)
      }),
    sourceContext: (message) => sourceContextOf(name, message),
    send: (_target, message) => Effect.sync(() => record(message.text)),

    round: (commands) => {
      const n = commands.length
      const done = new Promise<void>((resolve) => {
        index = new Map(commands.map((c, i) => [c.tag, i]))
        timings = {
          injectedAt: new Float64Array(n),
          ackAt: new Float64Array(n),
          resultAt: new Float64Array(n),
          unexpected: [],
        }
        owed = 2 * n
        finish = resolve
        for (let i = 0; i < n; i++) {
          const c = commands[i]!
          const message: ChatMessage = {
            id: `M${nextId++}`,
            text: `!st2 run echo ${c.tag} on localhost`,
            user: userOf(c.user),
            room: roomOf(c.room),
            threadId: undefined,
            isDirect: false,
            mentionsBot: false,
            raw: undefined,
          }
          timings.injectedAt[i] = performance.now()
          streams.pushMessage(message)
        }
      })
      return { done, timings }
    },
  }
}
