/**
 * What a Discord client puts in `content`, turned back into what the person typed, before the
 * command is matched: a leading mention of the bot (`<@BOT> st2 ...`, `<@!BOT>`) is stripped and
 * reported; other mentions become readable (`<@id>` → `@username`, `<#id>` → `#name`, `<@&id>` →
 * `@role`, `<:emoji:id>` → `:emoji:`); smart quotes become straight; non-breaking and other odd
 * spaces become plain spaces.
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
  const text = content
    .replace(leading, "")
    .replace(/<@!?(\d+)>/g, (_, id: string) => `@${names.userName(id) ?? id}`)
    .replace(/<@&(\d+)>/g, (_, id: string) => `@${names.roleName(id) ?? id}`)
    .replace(/<#(\d+)>/g, (_, id: string) => `#${names.channelName(id) ?? id}`)
    .replace(/<a?(:\w+:)\d+>/g, "$1")
    .replace(/[\u2018\u2019\u201A\u201B\u2032]/g, "'")
    .replace(/[\u201C\u201D\u201E\u201F\u2033]/g, '"')
    .replace(/[\u00A0\u2000-\u200A\u202F\u205F\u3000]/g, " ")
    .replace(/\u200B|\u200C|\u200D|\uFEFF/g, "")
    .trim()
  return { text, mentionsBot }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
