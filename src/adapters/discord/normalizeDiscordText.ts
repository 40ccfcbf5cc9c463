import { normaliseTypography } from "../normaliseTypography.ts"

/**
 * What a Discord client puts in `content`, turned back into what the person typed, before the
 * command is matched: a leading mention of the bot (`<@BOT> st2 ...`, `<@!BOT>`) is stripped and
 * reported; other mentions become readable (`<@id>` → `@username`, `<#id>` → `#name`, `<@&id>` →
 * `@role`, `<:emoji:id>` → `:emoji:`); then `normaliseTypography` (smart quotes, odd spaces,
 * zero-width characters).
 */
export interface DiscordNames {
  readonly botId: string
  readonly userName: (id: string) => string | undefined
  readonly channelName: (id: string) => string | undefined
  readonly roleName: (id: string) => string | undefined
}

export const normalizeDiscordText = (
  content: string,
  names: DiscordNames,
): { readonly text: string; readonly mentionsBot: boolean } => {
  const leading = new RegExp(`^\\s*<@!?${escapeRegExp(names.botId)}>[\\s,:]*`)
  const mentionsBot = leading.test(content)
  const text = normaliseTypography(
    content
      .replace(leading, "")
      .replace(/<@!?(\d+)>/g, (_, id: string) => `@${names.userName(id) ?? id}`)
      .replace(/<@&(\d+)>/g, (_, id: string) => `@${names.roleName(id) ?? id}`)
      .replace(/<#(\d+)>/g, (_, id: string) => `#${names.channelName(id) ?? id}`)
      .replace(/<a?(:\w+:)\d+>/g, "$1"),
  ).trim()
  return { text, mentionsBot }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
