import type { ChatRoom, ChatUser } from "../ChatMessage.ts"

/**
 * Stormbot's Slack identity strings (what StackStorm sees as `user` and `source_channel`):
 * - a person is their Slack user id, `U0123ABCD` (stable: handles and display names change);
 * - a room is its conversation id, `C0123ABCD` (public), `G0123ABCD` (private, group DM);
 * - a thread is `C0123ABCD:1700000000.000100`, the room id and the thread's parent `ts`.
 * Rooms start with C/G/D and users with U/W, so the two never collide.
 */
export const slackUserToSt2 = (user: ChatUser): string => user.id

export const slackRoomToSt2 = (room: ChatRoom, threadId?: string): string =>
  threadId === undefined ? room.id : `${room.id}:${threadId}`

/** What a `channel` / `user` string from StackStorm (or a workflow author) names. */
export type SlackAddress =
  /** A conversation by id (`C…`, `G…`, `D…`), optionally a thread in it. */
  | { readonly _tag: "ConversationId"; readonly id: string; readonly threadId?: string | undefined }
  /** A conversation by name (`#ops`, `ops`, `<#C1|ops>` without a usable id), optionally a thread. */
  | { readonly _tag: "ConversationName"; readonly name: string; readonly threadId?: string | undefined }
  /** A person by id (`U…`, `W…`, `<@U…>`). */
  | { readonly _tag: "UserId"; readonly id: string }
  /** A person by handle (`@alice`). */
  | { readonly _tag: "UserName"; readonly name: string }

const CONVERSATION_ID = /^[CGD][A-Z0-9]{2,}$/
const USER_ID = /^[UW][A-Z0-9]{2,}$/
const THREAD_TS = /^\d+\.\d+$/

/**
 * Parses the strings StackStorm sends back: our own (`U123`, `C123`, `C123:1700000000.000100`)
 * and what workflow authors type (`#ops`, `ops`, `@alice`, `<#C123|ops>`, `<@U123>`).
 * `undefined` for an empty string.
 */
export const parseSlackAddress = (raw: string): SlackAddress | undefined => {
  const s = raw.trim()
  if (s === "") return undefined
  const escaped = /^<([@#])([A-Z0-9]+)(?:\|[^>]*)?>$/.exec(s)
  if (escaped !== null)
    return escaped[1] === "@"
      ? { _tag: "UserId", id: escaped[2]! }
      : { _tag: "ConversationId", id: escaped[2]! }
  if (s.startsWith("@")) {
    const name = s.slice(1)
    return USER_ID.test(name) ? { _tag: "UserId", id: name } : { _tag: "UserName", name }
  }
  const bare = s.startsWith("#") ? s.slice(1) : s
  const colon = bare.lastIndexOf(":")
  const [base, threadId] =
    colon > 0 && THREAD_TS.test(bare.slice(colon + 1))
      ? [bare.slice(0, colon), bare.slice(colon + 1)]
      : [bare, undefined]
  if (CONVERSATION_ID.test(base)) return { _tag: "ConversationId", id: base, threadId }
  if (!s.startsWith("#") && threadId === undefined && USER_ID.test(base)) return { _tag: "UserId", id: base }
  return { _tag: "ConversationName", name: base, threadId }
}
