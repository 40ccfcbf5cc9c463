/**
 * What one `send` posts: `content` is always the message text (the fallback), and
 * `extra.discord.embeds` (objects in Discord's embed shape; a single `embed` is accepted too)
 * become embeds when they are well formed. Anything malformed is left out, with the reason, so
 * the text still goes (the adapter logs the reason).
 *
 * Checked against Discord's documented limits: at most 10 embeds; title 256, description 4096,
 * 25 fields of name 256 / value 1024, footer text 2048, author name 256, 6000 characters in all
 * embeds of a message; `color` an integer 0..0xFFFFFF; urls are strings.
 */
export interface DiscordPayload {
  readonly content: string
  readonly embeds?: ReadonlyArray<Record<string, unknown>>
  /** Pings only users mentioned by id; never @everyone / @here / roles from a workflow's text. */
  readonly allowedMentions: { readonly parse: ReadonlyArray<"users"> }
}

export const discordPayload = (
  text: string,
  extra: Readonly<Record<string, unknown>> | undefined,
): { readonly payload: DiscordPayload; readonly dropped?: string | undefined } => {
  const base: DiscordPayload = { content: text, allowedMentions: { parse: ["users"] } }
  const discord = extra?.discord
  if (discord === undefined || discord === null) return { payload: base }
  if (!isObject(discord)) return { payload: base, dropped: "extra.discord is not an object" }
  const list = discord.embeds ?? (discord.embed === undefined ? undefined : [discord.embed])
  if (list === undefined) return { payload: base, dropped: "extra.discord has no `embeds`" }
  if (!Array.isArray(list) || list.length === 0)
    return { payload: base, dropped: "extra.discord.embeds must be a non-empty list of embed objects" }
  if (list.length > 10)
    return { payload: base, dropped: `extra.discord.embeds has ${list.length} embeds (at most 10)` }
  let total = 0
  for (const [i, embed] of list.entries()) {
    const problem = embedProblem(embed)
    if (problem !== undefined) return { payload: base, dropped: `extra.discord.embeds[${i}]: ${problem}` }
    total += embedLength(embed as Record<string, unknown>)
  }
  if (total > 6000) return { payload: base, dropped: `the embeds have ${total} characters (at most 6000)` }
  return { payload: { ...base, embeds: list as ReadonlyArray<Record<string, unknown>> } }
}

const isObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const str = (o: Record<string, unknown>, key: string, max: number): string | undefined => {
  const v = o[key]
  if (v === undefined) return undefined
  if (typeof v !== "string") return `\`${key}\` must be a string`
  return v.length > max ? `\`${key}\` has ${v.length} characters (at most ${max})` : undefined
}

const embedProblem = (embed: unknown): string | undefined => {
  if (!isObject(embed)) return "not an object"
  const own =
    str(embed, "title", 256) ??
    str(embed, "description", 4096) ??
    str(embed, "url", 2048) ??
    str(embed, "timestamp", 64)
  if (own !== undefined) return own
  if (embed.color !== undefined) {
    const c = embed.color
    if (typeof c !== "number" || !Number.isInteger(c) || c < 0 || c > 0xffffff)
      return "`color` must be an integer from 0 to 16777215 (0xFFFFFF)"
  }
  for (const [key, fields] of [
    [
      "footer",
      [
        ["text", 2048],
        ["icon_url", 2048],
      ],
    ],
    [
      "author",
      [
        ["name", 256],
        ["url", 2048],
        ["icon_url", 2048],
      ],
    ],
    ["image", [["url", 2048]]],
    ["thumbnail", [["url", 2048]]],
  ] as const) {
    const part = embed[key]
    if (part === undefined) continue
    if (!isObject(part)) return `\`${key}\` must be an object`
    for (const [name, max] of fields) {
      const p = str(part, name, max)
      if (p !== undefined) return `${key}.${p}`
    }
  }
  if (embed.fields !== undefined) {
    if (!Array.isArray(embed.fields)) return "`fields` must be a list"
    if (embed.fields.length > 25) return `\`fields\` has ${embed.fields.length} entries (at most 25)`
    for (const [i, field] of embed.fields.entries()) {
      if (!isObject(field)) return `fields[${i}] is not an object`
      if (
        typeof field.name !== "string" ||
        field.name === "" ||
        typeof field.value !== "string" ||
        field.value === ""
      )
        return `fields[${i}] needs a non-empty \`name\` and \`value\``
      const p = str(field, "name", 256) ?? str(field, "value", 1024)
      if (p !== undefined) return `fields[${i}].${p}`
      if (field.inline !== undefined && typeof field.inline !== "boolean")
        return `fields[${i}].inline must be true or false`
    }
  }
  if (embedLength(embed) === 0 && embed.image === undefined && embed.thumbnail === undefined)
    return "the embed is empty (no title, description, fields, footer, author or image)"
  return undefined
}

const len = (v: unknown) => (typeof v === "string" ? v.length : 0)

const embedLength = (embed: Record<string, unknown>): number => {
  const footer = isObject(embed.footer) ? embed.footer : {}
  const author = isObject(embed.author) ? embed.author : {}
  const fields = Array.isArray(embed.fields) ? embed.fields : []
  return (
    len(embed.title) +
    len(embed.description) +
    len(footer.text) +
    len(author.name) +
    fields.reduce((n: number, f) => n + (isObject(f) ? len(f.name) + len(f.value) : 0), 0)
  )
}
