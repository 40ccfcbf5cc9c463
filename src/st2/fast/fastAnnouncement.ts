import type { Announcement } from "../streamAnnouncement.ts"
import { isJsonObject, isOptionalText } from "./jsonGuards.ts"

/**
 * `Announcement`'s decode, by hand, for the shape st2 sends: the same output as
 * `Schema.decodeUnknownEither(Announcement)`, or `undefined` for anything it does not accept, for
 * which the caller uses the Schema (and its error message). Every result goes through here, and
 * the Schema's decoder allocated ~10 KB per announcement. `fastAnnouncement.test.ts` checks it
 * against the Schema.
 */
export const fastAnnouncement = (u: unknown): Announcement | undefined => {
  if (!isJsonObject(u)) return undefined
  const p = u.payload
  if (!isJsonObject(p)) return undefined
  const { message, channel, user, whisper, extra, context } = p
  if (!isOptionalText(message) || !isOptionalText(channel) || !isOptionalText(user)) return undefined
  if (!(whisper === undefined || whisper === null || typeof whisper === "boolean")) return undefined
  if (!(extra === undefined || extra === null || isJsonObject(extra))) return undefined
  if (!(context === undefined || context === null || isJsonObject(context))) return undefined
  return {
    payload: {
      message: message ?? null,
      channel: channel ?? null,
      user: user ?? null,
      whisper: whisper ?? null,
      extra: extra ?? null,
      context: context ?? null,
    },
    trace_context: u.trace_context ?? null,
  }
}
