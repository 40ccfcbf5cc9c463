import { normaliseTypography } from "../normaliseTypography.ts"

/**
 * What the normaliser needs to know about names; both lookups are synchronous (the caller fetched
 * the names first, see `slackMarkupIds`). Unknown ids are written as the id.
 */
export interface SlackNames {
  readonly userHandle: (userId: string) => string | undefined
  readonly channelName: (channelId: string) => string | undefined
}

/** User and channel ids a text refers to (`<@U123>`, `<#C123>`), so their names can be fetched first. */
export const slackMarkupIds = (text: string): { readonly users: string[]; readonly channels: string[] } => {
  const users = new Set<string>()
  const channels = new Set<string>()
  for (const m of text.matchAll(/<([@#])([A-Z0-9]+)(?:\|[^>]*)?>/g))
    (m[1] === "@" ? users : channels).add(m[2]!)
  return { users: [...users], channels: [...channels] }
}

/**
 * Slack's message text back to what the person typed, before it is matched against action
 * aliases (which are written for plain text):
 * - `<@U123>` / `<@U123|name>` → `@handle` (the id when the handle is unknown);
 * - `<#C123|name>` / `<#C123>` → `#name`;
 * - `<!here>`, `<!channel>`, `<!everyone>` → `@here`...; `<!subteam^S1|@ops>` → `@ops`;
 * - `<http://x>` → `http://x`; `<http://x|label>` → what was typed: the label when it is the
 *   link without its scheme (Slack turned `example.com` into a link), else the URL itself;
 *   `<mailto:a@b.c|a@b.c>` → `a@b.c`;
 * - `&lt; &gt; &amp;` unescaped (after the markup, so `&lt;` typed by a person never becomes markup);
 * - then `normaliseTypography`: curly quotes → straight quotes, non-breaking and other exotic
 *   spaces → spaces, zero-width characters removed.
 */
export const normaliseSlackText = (text: string, names: SlackNames): string =>
  normaliseTypography(
    text
      .replace(/<([^<>]*)>/g, (_all, inner: string) => renderMarkup(inner, names))
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&amp;/g, "&"),
  )

const renderMarkup = (inner: string, names: SlackNames): string => {
  const bar = inner.indexOf("|")
  const target = bar === -1 ? inner : inner.slice(0, bar)
  const label = bar === -1 ? undefined : inner.slice(bar + 1)
  if (target.startsWith("@")) {
    const id = target.slice(1)
    return `@${names.userHandle(id) ?? label?.replace(/^@/, "") ?? id}`
  }
  if (target.startsWith("#")) {
    const id = target.slice(1)
    return `#${label ?? names.channelName(id) ?? id}`
  }
  if (target.startsWith("!")) {
    if (label !== undefined) return label.startsWith("@") ? label : `@${label}`
    const special = target.slice(1).split("^")[0]!
    return `@${special}`
  }
  if (label === undefined) return target
  const bare = target.replace(/^(?:[a-z][a-z0-9+.-]*:\/\/|mailto:|tel:)/i, "")
  return bare === label || bare === `${label}/` ? label : target
}
