/**
 * Slack's sizes (https://docs.slack.dev/reference/methods/chat.postMessage, Block Kit reference):
 * `text` is best kept under 4,000 characters (longer is truncated at 40,000), a message holds at
 * most 50 blocks, a section's text at most 3,000 characters and a field 2,000.
 */
export const SLACK_MAX_TEXT = 4_000
export const SLACK_MAX_BLOCKS = 50
export const SLACK_MAX_SECTION_TEXT = 3_000
export const SLACK_MAX_FIELD_TEXT = 2_000

/** The content part of a `chat.postMessage` / `chat.postEphemeral` call. */
export interface SlackContent {
  /** Absent when the message text is the text of the first attachment (not shown twice). */
  readonly text?: string
  readonly attachments?: ReadonlyArray<Record<string, unknown>>
  readonly blocks?: ReadonlyArray<Record<string, unknown>>
}

/** Legacy attachment keys taken from `extra.slack` (hubot-stackstorm / err-stackstorm compatible). */
const ATTACHMENT_STRING_KEYS = [
  "color",
  "pretext",
  "title",
  "title_link",
  "author_name",
  "author_link",
  "author_icon",
  "image_url",
  "thumb_url",
  "footer",
  "footer_icon",
  "fallback",
  "text",
] as const

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v)

const truncate = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`)

/**
 * Renders an announcement for Slack. `extra.slack` may carry:
 * - `blocks`: Block Kit blocks (objects with a string `type`), sent as they are, at most 50,
 *   section texts and fields cut to Slack's sizes; `text` stays the notification fallback;
 * - legacy attachment fields (`color`, `pretext`, `title`, `title_link`, `fields`, `image_url`,
 *   `footer`, `ts`, `mrkdwn_in`, ...): one attachment whose text is the message (as
 *   hubot-stackstorm does: the result sits inside the coloured bar, shown once), with the message
 *   as `fallback`; with blocks or an attachment `text` of its own, the message stays `text`;
 * - `attachments`: attachments given whole (objects only).
 * Anything else, or an `extra.slack` of the wrong shape, is ignored: the message is then plain
 * text. Never throws.
 */
export const renderSlackMessage = (
  text: string,
  extra: Readonly<Record<string, unknown>> | undefined,
): SlackContent => {
  const slack = extra?.slack
  if (!isRecord(slack)) return { text }
  const blocks = sanitizeBlocks(slack.blocks)
  const attachments: Record<string, unknown>[] = Array.isArray(slack.attachments)
    ? slack.attachments.filter(isRecord)
    : []
  const legacy = legacyAttachment(slack)
  const inAttachment = legacy !== undefined && typeof legacy.text !== "string" && blocks.length === 0
  if (legacy !== undefined) {
    attachments.unshift({
      ...legacy,
      ...(inAttachment ? { text } : {}),
      fallback: typeof legacy.fallback === "string" ? legacy.fallback : text,
    })
  }
  if (blocks.length === 0 && attachments.length === 0) return { text }
  return {
    ...(inAttachment ? {} : { text }),
    ...(attachments.length === 0 ? {} : { attachments }),
    ...(blocks.length === 0 ? {} : { blocks }),
  }
}

const legacyAttachment = (slack: Record<string, unknown>): Record<string, unknown> | undefined => {
  const out: Record<string, unknown> = {}
  for (const key of ATTACHMENT_STRING_KEYS) if (typeof slack[key] === "string") out[key] = slack[key]
  if (Array.isArray(slack.fields)) {
    const fields = slack.fields.filter(isRecord).flatMap((f) =>
      typeof f.title === "string" || typeof f.value === "string" || typeof f.value === "number"
        ? [
            {
              title: typeof f.title === "string" ? f.title : "",
              value: truncate(String(f.value ?? ""), SLACK_MAX_FIELD_TEXT),
              short: f.short === true,
            },
          ]
        : [],
    )
    if (fields.length > 0) out.fields = fields
  }
  if (typeof slack.ts === "number" || (typeof slack.ts === "string" && /^\d+(\.\d+)?$/.test(slack.ts)))
    out.ts = slack.ts
  if (Array.isArray(slack.mrkdwn_in) && slack.mrkdwn_in.every((x) => typeof x === "string"))
    out.mrkdwn_in = slack.mrkdwn_in
  // `text` alone is not an attachment: the message already has its text.
  const keys = Object.keys(out).filter((k) => k !== "fallback")
  return keys.length === 0 ? undefined : out
}

const sanitizeBlocks = (raw: unknown): Record<string, unknown>[] => {
  if (!Array.isArray(raw)) return []
  return raw
    .filter((b): b is Record<string, unknown> => isRecord(b) && typeof b.type === "string")
    .slice(0, SLACK_MAX_BLOCKS)
    .map((b) => {
      if (b.type !== "section") return b
      const out: Record<string, unknown> = { ...b }
      if (isRecord(b.text) && typeof b.text.text === "string")
        out.text = { ...b.text, text: truncate(b.text.text, SLACK_MAX_SECTION_TEXT) }
      if (Array.isArray(b.fields))
        out.fields = b.fields.map((f) =>
          isRecord(f) && typeof f.text === "string"
            ? { ...f, text: truncate(f.text, SLACK_MAX_FIELD_TEXT) }
            : f,
        )
      return out
    })
}
