/**
 * A plain-text rendering of an announcement's `extra` for backends that cannot show rich
 * content: the titles, texts and fields of Slack attachments (legacy fields or a list), Discord
 * embeds and similar shapes, one per line. Unknown shapes (Block Kit, raw objects) give nothing:
 * the message itself is the fallback. Never throws on odd input.
 */
export const renderExtraAsText = (
  extra: Readonly<Record<string, unknown>> | undefined,
): ReadonlyArray<string> => {
  if (extra === undefined) return []
  const lines: string[] = []
  const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() !== "" ? v : undefined)
  const card = (c: unknown): void => {
    if (typeof c !== "object" || c === null || Array.isArray(c)) return
    const o = c as Record<string, unknown>
    for (const key of ["pretext", "title", "text", "description"]) {
      const v = str(o[key])
      if (v !== undefined) lines.push(v)
    }
    if (Array.isArray(o.fields)) {
      for (const f of o.fields) {
        if (typeof f !== "object" || f === null) continue
        const field = f as Record<string, unknown>
        const label = str(field.title) ?? str(field.name)
        const value = str(field.value) ?? (typeof field.value === "number" ? String(field.value) : undefined)
        if (value !== undefined) lines.push(label === undefined ? value : `${label}: ${value}`)
      }
    }
  }
  for (const backend of Object.values(extra)) {
    if (typeof backend !== "object" || backend === null) continue
    const b = backend as Record<string, unknown>
    card(b)
    for (const list of [b.attachments, b.embeds]) if (Array.isArray(list)) list.forEach(card)
  }
  return lines
}
