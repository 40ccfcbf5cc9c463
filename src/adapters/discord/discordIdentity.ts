/**
 * The strings stormbot hands StackStorm for Discord people and places, and how strings coming
 * back are read. They use Discord's own mention syntax, so they never collide (a channel and a
 * user are both snowflakes) and a workflow author can paste a mention:
 *
 * - `user` = `<@USER_ID>`: the id is stable and cannot be taken over by renaming (usernames can
 *   change and be reused), which matters when st2 impersonates through `nicknames.discord`.
 * - `source_channel` = `<#CHANNEL_ID>` for a channel, `<#CHANNEL_ID>/THREAD_ID` for a thread of
 *   it; a direct message's `source_channel` is the author's `<@USER_ID>`.
 *
 * Read back as well: `<@!id>`, a raw snowflake (channel, thread or user: looked up), `#name`
 * (a channel or thread the bot can see), `@username` / `username` (a user the bot has seen).
 */
export const discordUserString = (userId: string): string => `<@${userId}>`

export const discordRoomString = (channelId: string, threadId?: string): string =>
  threadId === undefined ? `<#${channelId}>` : `<#${channelId}>/${threadId}`

export type DiscordAddress =
  /** `<@id>` / `<@!id>`: a user, by id. */
  | { readonly _tag: "User"; readonly id: string }
  /** `<#id>` or `<#id>/threadId`: a channel (or thread) by id. */
  | { readonly _tag: "Channel"; readonly id: string; readonly threadId?: string | undefined }
  /** A bare snowflake: a channel, a thread or a user; only a lookup can tell. */
  | { readonly _tag: "Snowflake"; readonly id: string }
  /** `#name`: a channel or thread by name. */
  | { readonly _tag: "ChannelName"; readonly name: string }
  /** `@name`: a user by username. */
  | { readonly _tag: "UserName"; readonly name: string }
  /** A bare word: a channel name, else a username. */
  | { readonly _tag: "Name"; readonly name: string }

const SNOWFLAKE = /^\d{1,20}$/

/** Reads a `channel` / `user` string from StackStorm; `undefined` when it is empty. */
export const parseDiscordAddress = (raw: string): DiscordAddress | undefined => {
  const s = raw.trim()
  if (s === "") return undefined
  const user = /^<@!?([^>\s]+)>$/.exec(s)
  if (user !== null) return { _tag: "User", id: user[1]! }
  const channel = /^<#([^>\s]+)>(?:\/(\S+))?$/.exec(s)
  if (channel !== null) return { _tag: "Channel", id: channel[1]!, threadId: channel[2] }
  if (SNOWFLAKE.test(s)) return { _tag: "Snowflake", id: s }
  if (s.startsWith("#") && s.length > 1) return { _tag: "ChannelName", name: s.slice(1) }
  if (s.startsWith("@") && s.length > 1) return { _tag: "UserName", name: s.slice(1) }
  return { _tag: "Name", name: s }
}
