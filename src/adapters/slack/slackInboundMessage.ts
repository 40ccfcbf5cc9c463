import type { ChatMessage } from "../ChatMessage.ts"
import { normaliseSlackText, slackMarkupIds } from "./normaliseSlackText.ts"
import type { SlackDirectory } from "./SlackDirectory.ts"

/** The fields of a Slack `message` / `app_mention` event stormbot reads. */
export interface SlackMessageEvent {
  readonly type?: string
  readonly subtype?: string
  readonly text?: string
  readonly user?: string
  readonly bot_id?: string
  readonly channel?: string
  readonly channel_type?: string
  readonly ts?: string
  readonly thread_ts?: string
}

/** Who the bot is (from `auth.test`). */
export interface SlackBotIdentity {
  readonly userId: string
  readonly botId: string | undefined
}

/**
 * Subtypes that are something a person typed. Edits (`message_changed`), deletions, joins and
 * leaves, topic changes and other bots' posts (`bot_message`) are not commands.
 */
const TYPED_SUBTYPES = new Set([undefined, "thread_broadcast", "file_share", "me_message"])

/** Whether an event is a person's message the core should see (never the bot's own). */
export const isCommandCandidate = (event: SlackMessageEvent, bot: SlackBotIdentity): boolean =>
  (event.type === "message" || event.type === "app_mention") &&
  TYPED_SUBTYPES.has(event.subtype) &&
  typeof event.user === "string" &&
  typeof event.channel === "string" &&
  typeof event.ts === "string" &&
  typeof event.text === "string" &&
  event.user !== bot.userId &&
  (bot.botId === undefined || event.bot_id !== bot.botId)

/**
 * A Slack message event as a `ChatMessage`: names fetched (cached) for the author, the room and
 * every mentioned person or channel, text normalised, a leading mention of the bot
 * (`<@BOT> st2 ...`, also `<@BOT>: ...`) stripped and reported as `mentionsBot`. A DM
 * (`channel_type: im`, or a `D…` channel) has no room. The id is `channel/ts`.
 */
export const toChatMessage = async (
  event: SlackMessageEvent & { user: string; channel: string; ts: string; text: string },
  bot: SlackBotIdentity,
  directory: SlackDirectory,
): Promise<ChatMessage> => {
  const isDirect =
    event.channel_type === "im" || (event.channel_type === undefined && event.channel.startsWith("D"))
  const leading = new RegExp(`^\\s*<@${bot.userId}(?:\\|[^>]*)?>[:,]?\\s*`)
  const mentionsBot = leading.test(event.text)
  const raw = mentionsBot ? event.text.replace(leading, "") : event.text
  const ids = slackMarkupIds(raw)
  const [user, room] = await Promise.all([
    directory.userOrId(event.user),
    isDirect ? Promise.resolve(undefined) : directory.roomOrId(event.channel),
    ...ids.users.map((id) => directory.userOrId(id)),
    ...ids.channels.map((id) => directory.roomOrId(id)),
  ])
  const text = normaliseSlackText(raw, {
    userHandle: (id) => directory.knownHandle(id),
    channelName: (id) => directory.knownChannelName(id),
  }).trim()
  return {
    id: `${event.channel}/${event.ts}`,
    text,
    user: user!,
    room: room as ChatMessage["room"],
    threadId: event.thread_ts,
    isDirect,
    mentionsBot,
    raw: event,
  }
}
