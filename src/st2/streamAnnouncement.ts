import { ParseResult, Schema } from "effect"

/** A field st2 sends as `null` when the action did not set it; a missing field reads as `null` too. */
const nullable = <S extends Schema.Schema.Any>(schema: S) =>
  Schema.optionalWith(Schema.NullOr(schema), { default: () => null })

/**
 * A JSON object, checked but not copied: `extra` and `context` pass through to chat as st2 sent
 * them, and a Record schema copied every key of both on every announcement.
 */
const JsonObject = Schema.declare(
  (u: unknown): u is { readonly [key: string]: unknown } =>
    typeof u === "object" && u !== null && !Array.isArray(u),
  { identifier: "JsonObject", description: "a JSON object" },
)

/**
 * What `chatops.post_message` puts on the stream as `st2.announcement__<route>` (contract §5):
 * `{"payload": {"message", "channel", "user", "whisper", "extra", "context"}, "trace_context"}`.
 * Unset parameters arrive as `null`; unknown keys are ignored.
 */
export const AnnouncementPayload = Schema.Struct({
  message: nullable(Schema.String),
  channel: nullable(Schema.String),
  user: nullable(Schema.String),
  whisper: nullable(Schema.Boolean),
  extra: nullable(JsonObject),
  context: nullable(JsonObject),
})
export type AnnouncementPayload = typeof AnnouncementPayload.Type

export const Announcement = Schema.Struct({
  payload: AnnouncementPayload,
  trace_context: nullable(Schema.Unknown),
})
export type Announcement = typeof Announcement.Type

/** The event name st2 uses for announcements on `route`. */
export const announcementEvent = (route: string): string => `st2.announcement__${route}`

/** The route of an announcement event name, or undefined for any other event. */
export const announcementRoute = (event: string): string | undefined =>
  event.startsWith("st2.announcement__") ? event.slice("st2.announcement__".length) : undefined

/**
 * Why data is not an announcement, for logs above debug: the failing paths and the kinds of issue
 * (`payload.message: Type`), never the values, which are announcement data (a result's text) and
 * Schema's own messages quote them.
 */
export const announcementProblems = (error: ParseResult.ParseError): string => {
  const problems = new Set<string>()
  for (const i of ParseResult.ArrayFormatter.formatErrorSync(error))
    if (problems.size < 10) problems.add(`${i.path.length === 0 ? "(data)" : i.path.join(".")}: ${i._tag}`)
  return [...problems].join("; ")
}
