/**
 * Platform-neutral chat identities and inbound messages (after Errbot's Person / Room /
 * RoomOccupant). Every adapter normalises its platform's events into these; the core never sees
 * a platform SDK type except inside the opaque `raw` envelope.
 */

/** A person on the chat platform. */
export interface ChatUser {
  /** The platform's stable id (Slack `U123`, Discord snowflake, XMPP bare JID, OS username). */
  readonly id: string
  /** What humans read (real name or nickname); for display only, never for identity. */
  readonly displayName: string
  /**
   * The handle StackStorm should see for this person (the nickname st2 maps through
   * `nicknames.<origin>` when impersonating). `adapter.userToSt2(user)` is the authoritative
   * string sent as `user`; `handle` is its human-readable core.
   */
  readonly handle: string
}

/** A multi-user conversation: channel, group, MUC room, the terminal. */
export interface ChatRoom {
  /** The platform's stable id (Slack `C123`, Discord channel snowflake, MUC JID, `terminal`). */
  readonly id: string
  /** Human-readable name without decoration (`general`), for display and logs. */
  readonly name: string
}

/** One inbound message, normalised. */
export interface ChatMessage {
  /** Unique within the adapter (Slack `ts`, Discord snowflake, XMPP stanza id, a counter). */
  readonly id: string
  /** The text as typed, after platform markup is normalised (mentions, links, smart quotes). */
  readonly text: string
  readonly user: ChatUser
  /** The room it was said in; `undefined` for a direct (one-to-one) message. */
  readonly room: ChatRoom | undefined
  /** The thread it belongs to (Slack `thread_ts`, Discord thread id); replies go there. */
  readonly threadId: string | undefined
  /** A one-to-one conversation with the bot (`room` is then undefined). */
  readonly isDirect: boolean
  /** The bot was addressed by mention (`@stormbot ...`); the mention is already stripped from `text`. */
  readonly mentionsBot: boolean
  /** The platform's own event, kept opaque for adapter-specific follow-ups; never inspected by the core. */
  readonly raw: unknown
}
