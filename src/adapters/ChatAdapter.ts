import type { Effect, Scope, Stream } from "effect"
import type { ChatResolveError, ChatSendError, ChatTargetUnknown } from "./ChatAdapterError.ts"
import type { ChatMessage, ChatRoom, ChatUser } from "./ChatMessage.ts"
import type { SourceContext } from "./SourceContext.ts"

/**
 * The chat-adapter port: the only thing the core knows about a chat platform. Terminal, Slack,
 * Discord, XMPP, Mattermost each implement it in `src/adapters/<kind>/`; the core never imports a
 * chat SDK. See docs/adapters.md for the contract in prose and how to write a new adapter.
 */
export interface ChatAdapter {
  /**
   * The instance name from the configuration (`slack`, `slack-eu`, `terminal`). Unique among the
   * running adapters; written into `source_context.adapter` so a result comes back to the
   * adapter that received the command.
   */
  readonly name: string
  /**
   * The backend kind (`text`, `slack`, `discord`, `xmpp`, `mattermost`, `fake`). Also the key
   * under which the announcement's `extra` carries this backend's rich content (`extra.slack`).
   */
  readonly kind: string
  readonly limits: ChatLimits
  readonly capabilities: ChatCapabilities

  /**
   * One connection session. Acquiring it starts connecting and returns at once (it does not
   * wait for `Connected`); progress is reported on `status`. Closing the scope disconnects and
   * must leave nothing running (sockets, timers, readline). Failures never surface as errors
   * here: they are `status` changes (`Disconnected`, `InvalidCredentials`), so the
   * adapter-connection machine decides about retries. By the time it returns, `status` no
   * longer shows the previous session's final status (it is at least `Connecting`). Calling it
   * again after the scope closed opens a fresh session.
   */
  readonly connect: Effect.Effect<void, never, Scope.Scope>
  /**
   * Connection status changes: the current status first, then every change, for as long as
   * the subscriber listens. Several subscribers may listen at once.
   */
  readonly status: Stream.Stream<ConnectionStatus>
  /**
   * Inbound messages, in arrival order, from every session. Single consumer. Messages from the
   * bot itself are never emitted. The stream ends only when the platform can produce no more
   * input at all (the terminal at end of piped stdin); network adapters never end it.
   */
  readonly messages: Stream.Stream<ChatMessage>

  /** The string sent to StackStorm as `user` for this person. Pure; stable across restarts. */
  readonly userToSt2: (user: ChatUser) => string
  /**
   * The string sent as `source_channel` for a room (and thread, where the platform encodes
   * threads in it). For a direct message, `source_channel` is `userToSt2(user)` (see
   * `sourceChannelOf`). Pure; stable across restarts.
   */
  readonly roomToSt2: (room: ChatRoom, threadId?: string) => string
  /**
   * The inverse: where a `channel` string from StackStorm (announcement or webhook) points.
   * Round-trip law: `resolveTarget(roomToSt2(r, t))` is `Room(r, t)` and
   * `resolveTarget(userToSt2(u))` is `Direct(u)`. Strings the platform also understands (a
   * Slack `#name`, a Discord channel id typed by a workflow author) are accepted where
   * possible. `user`, when given, is the announcement's `user`, for platforms that key DM
   * channels by user. May call the platform (name lookup); may cache.
   */
  readonly resolveTarget: (channel: string, user?: string) => Effect.Effect<ChatTarget, ChatResolveError>
  /** Where a `user` string from StackStorm points; inverse of `userToSt2`. */
  readonly resolveUser: (user: string) => Effect.Effect<ChatUser, ChatResolveError>
  /**
   * The JSON envelope sent as `source_context`; it comes back as the announcement's `context`.
   * Usually `sourceContextOf(this.name, message)`.
   */
  readonly sourceContext: (message: ChatMessage) => SourceContext

  /**
   * Posts one message. `message.text` is at most `limits.maxMessageLength` characters (the
   * caller splits); an adapter given more fails with `ChatSendPermanent`. Rendering:
   * `message.extra?.[kind]` is rendered natively where the backend can (Slack attachments or
   * blocks, Discord embeds) with `text` as the fallback; a malformed `extra` must never lose the
   * text (send it plain). `Ephemeral` on a platform without ephemeral messages is sent as
   * `Direct`. Resolves once the platform accepted the message.
   */
  readonly send: (target: ChatTarget, message: OutboundMessage) => Effect.Effect<void, ChatSendError>
}

/** Where a message goes. */
export type ChatTarget =
  /** Visible to the room; in `threadId` when set. */
  | { readonly _tag: "Room"; readonly room: ChatRoom; readonly threadId?: string | undefined }
  /** A private one-to-one message to `user`. */
  | { readonly _tag: "Direct"; readonly user: ChatUser }
  /** Visible only to `user`, shown inside `room` (Slack `chat.postEphemeral`); else Direct. */
  | {
      readonly _tag: "Ephemeral"
      readonly room: ChatRoom
      readonly user: ChatUser
      readonly threadId?: string | undefined
    }

export const ChatTarget = {
  room: (room: ChatRoom, threadId?: string): ChatTarget => ({ _tag: "Room", room, threadId }),
  direct: (user: ChatUser): ChatTarget => ({ _tag: "Direct", user }),
  ephemeral: (room: ChatRoom, user: ChatUser, threadId?: string): ChatTarget => ({
    _tag: "Ephemeral",
    room,
    user,
    threadId,
  }),
}

/** One outbound message. */
export interface OutboundMessage {
  /** Plain text, the fallback for everything; at most `limits.maxMessageLength` characters. */
  readonly text: string
  /**
   * The announcement's `extra`, whole; the adapter reads `extra[kind]`. Only the first part of
   * a split message carries it, so rich content is rendered once.
   */
  readonly extra?: Readonly<Record<string, unknown>> | undefined
}

export interface ChatLimits {
  /** Longest `OutboundMessage.text` the platform accepts, in UTF-16 code units (JS length). */
  readonly maxMessageLength: number
  /**
   * Smallest pause between two sends to one target that keeps clear of the platform's rate
   * limit (Slack ~1 s per channel, Discord 5 per 5 s); 0 when there is none. A hint for the
   * outbound queue; a real 429 still comes back as `ChatSendTransient` with `retryAfterMs`.
   */
  readonly minSendIntervalMs: number
}

export interface ChatCapabilities {
  readonly threads: boolean
  /** `Ephemeral` targets are shown in the room to one user (else they are sent Direct). */
  readonly ephemeral: boolean
  /** `extra[kind]` is rendered natively (else only `text` is shown). */
  readonly richExtra: boolean
}

/**
 * What an adapter reports about its connection; the adapter-connection machine turns these
 * into states.
 */
export type ConnectionStatus =
  /** A session is being opened (first time, or again after `Disconnected`). */
  | { readonly _tag: "Connecting" }
  /** Messages flow both ways. */
  | { readonly _tag: "Connected" }
  /**
   * The platform SDK lost the connection and is healing it itself (Slack Socket Mode refresh,
   * Discord gateway resume). The session is still owned; nothing should be torn down.
   */
  | { readonly _tag: "Reconnecting"; readonly reason: string }
  /** The session is dead and the adapter will not retry by itself; the machine backs off and reconnects. */
  | { readonly _tag: "Disconnected"; readonly reason: string }
  /** The platform rejected the credentials; retrying without new configuration is pointless. */
  | { readonly _tag: "InvalidCredentials"; readonly reason: string }
  /**
   * The session is over. `inputEnded`: the input is exhausted for good (piped stdin at EOF): the
   * app may wait for outstanding results and exit. `closed`: the session scope was closed (a new
   * `connect` may follow).
   */
  | { readonly _tag: "Stopped"; readonly reason: "inputEnded" | "closed" }

/** `source_channel` for a message: its room (and thread), or its author for a direct message. */
export const sourceChannelOf = (adapter: ChatAdapter, message: ChatMessage): string =>
  message.room === undefined
    ? adapter.userToSt2(message.user)
    : adapter.roomToSt2(message.room, message.threadId)

export type { ChatMessage, ChatRoom, ChatUser, ChatTargetUnknown, ChatResolveError, ChatSendError }
