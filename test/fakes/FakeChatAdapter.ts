import { Effect } from "effect"
import { makeAdapterStreams } from "../../src/adapters/AdapterStreams.ts"
import { type ChatAdapter, ChatTarget, type OutboundMessage } from "../../src/adapters/ChatAdapter.ts"
import {
  ChatSendPermanent,
  ChatSendTransient,
  ChatTargetUnknown,
} from "../../src/adapters/ChatAdapterError.ts"
import type { ChatMessage, ChatRoom, ChatUser } from "../../src/adapters/ChatMessage.ts"
import { sourceContextOf } from "../../src/adapters/SourceContext.ts"

/**
 * An in-memory chat backend implementing the real port (after Errbot's test backend): tests
 * push inbound messages with `say`, read what the bot sent in `outbound`, make the next sends
 * fail, and drop or restore the connection.
 *
 * Identity formats: a user is `@handle`, a room `#name`, a thread in a room `#name/threadId`.
 * Rooms and users become known when they appear in `say` (or `addRoom` / `addUser`); anything
 * else is `ChatTargetUnknown`. Sending while not connected fails transiently, like a real socket.
 */
export interface FakeChatAdapter extends ChatAdapter {
  /** Pushes a message from `user` (a handle) in `room` (a name; `undefined` = direct message). */
  readonly say: (
    user: string,
    room: string | undefined,
    text: string,
    options?: { readonly thread?: string; readonly mention?: boolean },
  ) => ChatMessage
  /** Everything sent successfully, in order. */
  readonly outbound: ReadonlyArray<FakeSent>
  /** Every send attempt, failed ones included, in order. */
  readonly attempts: ReadonlyArray<FakeSent & { readonly result: "sent" | "transient" | "permanent" }>
  /**
   * The next `n` sends fail (queued after failures already scheduled); with `after: k`, the
   * first `k` sends still succeed.
   */
  readonly failNext: (
    n: number,
    kind: "transient" | "permanent",
    options?: { readonly reason?: string; readonly retryAfterMs?: number; readonly after?: number },
  ) => void
  /** Drops the connection (status `Disconnected`, or `Reconnecting` when the platform heals itself). */
  readonly disconnect: (options?: { readonly reason?: string; readonly selfHealing?: boolean }) => void
  /** Restores the connection (`Connecting` then `Connected`). */
  readonly reconnect: () => void
  /** From now on the platform rejects the credentials (status `InvalidCredentials`). */
  readonly rejectCredentials: (reason?: string) => void
  /** Ends `messages` (as end of piped input) and reports `Stopped { inputEnded }`. */
  readonly endInput: () => void
  readonly addRoom: (name: string) => ChatRoom
  readonly addUser: (handle: string) => ChatUser
  /** Connection sessions opened so far, and currently open. */
  readonly sessions: () => { readonly opened: number; readonly open: number }
}

export interface FakeSent {
  readonly target: ChatTarget
  /** `#room`, `#room/thread`, `@user` (Direct) or `#room@user` (Ephemeral): for short assertions. */
  readonly to: string
  readonly text: string
  readonly extra: OutboundMessage["extra"]
}

export const makeFakeChatAdapter = (
  options: {
    readonly name?: string
    readonly maxMessageLength?: number
    readonly ephemeral?: boolean
    readonly connected?: boolean
  } = {},
): FakeChatAdapter => {
  const name = options.name ?? "fake"
  const streams = makeAdapterStreams(options.connected === false ? undefined : { _tag: "Connected" })
  const rooms = new Map<string, ChatRoom>()
  const users = new Map<string, ChatUser>()
  const outbound: FakeSent[] = []
  const attempts: Array<FakeSent & { result: "sent" | "transient" | "permanent" }> = []
  const failures: Array<
    { kind: "pass" } | { kind: "transient" | "permanent"; reason: string; retryAfterMs?: number | undefined }
  > = []
  let nextId = 1
  let opened = 0
  let open = 0
  let credentialsRejected: string | undefined

  const addRoom = (roomName: string): ChatRoom => {
    const existing = rooms.get(roomName)
    if (existing !== undefined) return existing
    const room = { id: `R-${roomName}`, name: roomName }
    rooms.set(roomName, room)
    return room
  }
  const addUser = (handle: string): ChatUser => {
    const existing = users.get(handle)
    if (existing !== undefined) return existing
    const user = { id: `U-${handle}`, displayName: handle.toUpperCase(), handle }
    users.set(handle, user)
    return user
  }
  const describe = (target: ChatTarget): string => {
    switch (target._tag) {
      case "Room":
        return `#${target.room.name}${target.threadId === undefined ? "" : `/${target.threadId}`}`
      case "Direct":
        return `@${target.user.handle}`
      case "Ephemeral":
        return `#${target.room.name}${target.threadId === undefined ? "" : `/${target.threadId}`}@${target.user.handle}`
    }
  }
  const userByHandle = (raw: string) => users.get(raw.startsWith("@") ? raw.slice(1) : raw)

  const adapter: FakeChatAdapter = {
    name,
    kind: "fake",
    limits: { maxMessageLength: options.maxMessageLength ?? 100, minSendIntervalMs: 0 },
    capabilities: { threads: true, ephemeral: options.ephemeral ?? false, richExtra: true },

    connect: Effect.acquireRelease(
      Effect.sync(() => {
        opened += 1
        open += 1
        streams.setStatus({ _tag: "Connecting" })
        streams.setStatus(
          credentialsRejected === undefined
            ? { _tag: "Connected" }
            : { _tag: "InvalidCredentials", reason: credentialsRejected },
        )
      }),
      () =>
        Effect.sync(() => {
          open -= 1
          if (streams.currentStatus()._tag !== "Stopped")
            streams.setStatus({ _tag: "Stopped", reason: "closed" })
        }),
    ),
    status: streams.status,
    messages: streams.messages,

    userToSt2: (user) => `@${user.handle}`,
    roomToSt2: (room, threadId) => `#${room.name}${threadId === undefined ? "" : `/${threadId}`}`,
    resolveTarget: (channel, _user) =>
      Effect.suspend(() => {
        if (channel.startsWith("@")) {
          const user = userByHandle(channel)
          if (user !== undefined) return Effect.succeed(ChatTarget.direct(user))
        } else if (channel.startsWith("#")) {
          const [roomName = "", threadId] = channel.slice(1).split("/", 2)
          const room = rooms.get(roomName)
          if (room !== undefined) return Effect.succeed(ChatTarget.room(room, threadId))
        }
        return Effect.fail(
          new ChatTargetUnknown({ adapter: name, channel, reason: `no room or user "${channel}"` }),
        )
      }),
    resolveUser: (raw) =>
      Effect.suspend(() => {
        const user = userByHandle(raw)
        return user === undefined
          ? Effect.fail(new ChatTargetUnknown({ adapter: name, user: raw, reason: `no user "${raw}"` }))
          : Effect.succeed(user)
      }),
    sourceContext: (message) => sourceContextOf(name, message),

    send: (target, message) =>
      Effect.suspend(() => {
        const sent: FakeSent = { target, to: describe(target), text: message.text, extra: message.extra }
        if (message.text.length > adapter.limits.maxMessageLength) {
          attempts.push({ ...sent, result: "permanent" })
          return Effect.fail(
            new ChatSendPermanent({
              adapter: name,
              reason: `message of ${message.text.length} characters is too long`,
            }),
          )
        }
        if (streams.currentStatus()._tag !== "Connected") {
          attempts.push({ ...sent, result: "transient" })
          return Effect.fail(new ChatSendTransient({ adapter: name, reason: "not connected" }))
        }
        const failure = failures.shift()
        if (failure !== undefined && failure.kind !== "pass") {
          attempts.push({ ...sent, result: failure.kind })
          return Effect.fail(
            failure.kind === "transient"
              ? new ChatSendTransient({
                  adapter: name,
                  reason: failure.reason,
                  retryAfterMs: failure.retryAfterMs,
                })
              : new ChatSendPermanent({ adapter: name, reason: failure.reason }),
          )
        }
        attempts.push({ ...sent, result: "sent" })
        outbound.push(sent)
        return Effect.void
      }),

    say: (handle, roomName, text, sayOptions = {}) => {
      const user = addUser(handle)
      const room = roomName === undefined ? undefined : addRoom(roomName)
      const message: ChatMessage = {
        id: `M${nextId++}`,
        text,
        user,
        room,
        threadId: sayOptions.thread,
        isDirect: room === undefined,
        mentionsBot: sayOptions.mention ?? false,
        raw: { fake: true, handle, room: roomName, text },
      }
      streams.pushMessage(message)
      return message
    },
    outbound,
    attempts,
    failNext: (n, kind, failOptions = {}) => {
      for (let i = 0; i < (failOptions.after ?? 0); i++) failures.push({ kind: "pass" })
      for (let i = 0; i < n; i++) {
        failures.push({
          kind,
          reason: failOptions.reason ?? (kind === "transient" ? "rate limited" : "channel_not_found"),
          retryAfterMs: failOptions.retryAfterMs,
        })
      }
    },
    disconnect: (disconnectOptions = {}) => {
      const reason = disconnectOptions.reason ?? "connection reset"
      streams.setStatus(
        disconnectOptions.selfHealing === true
          ? { _tag: "Reconnecting", reason }
          : { _tag: "Disconnected", reason },
      )
    },
    reconnect: () => {
      streams.setStatus({ _tag: "Connecting" })
      streams.setStatus({ _tag: "Connected" })
    },
    rejectCredentials: (reason = "invalid_auth") => {
      credentialsRejected = reason
      streams.setStatus({ _tag: "InvalidCredentials", reason })
    },
    endInput: () => {
      streams.endMessages()
      streams.setStatus({ _tag: "Stopped", reason: "inputEnded" })
    },
    addRoom,
    addUser,
    sessions: () => ({ opened, open }),
  }
  return adapter
}
