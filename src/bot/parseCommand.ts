/** What a chat line asks of the bot. */
export type ParsedCommand =
  /** `{bot_prefix}{plugin_prefix}help [--pack P] [--filter F] [--limit N] [--offset N]` */
  | { readonly _tag: "Help"; readonly args: string }
  /** `{bot_prefix}{plugin_prefix} <command>`: `command` is what is matched against the aliases. */
  | { readonly _tag: "Run"; readonly command: string }

export interface CommandPrefixes {
  /** err-stackstorm's `bot_prefix`, e.g. `!` */
  readonly botPrefix: string
  /** err-stackstorm's `plugin_prefix`, e.g. `st2`; may be empty (st2chatops users type `!run ...`). */
  readonly pluginPrefix: string
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/**
 * Parses one chat line. Returns `undefined` for lines that are not for the bot, so ordinary
 * chat never reaches a session. `addressed` is true when the bot prefix may be omitted: the
 * message mentioned the bot (the adapter removed the mention) or is a direct message.
 *
 * Only the leading prefixes are consumed: the rest of the text is passed on unchanged (apart from
 * surrounding whitespace), since alias formats are matched case- and space-sensitively.
 */
export const parseCommand = (
  text: string,
  prefixes: CommandPrefixes,
  addressed = false,
): ParsedCommand | undefined => {
  let rest = text.trim()
  if (prefixes.botPrefix !== "" && rest.startsWith(prefixes.botPrefix)) {
    rest = rest.slice(prefixes.botPrefix.length)
  } else if (!addressed) {
    return undefined
  }
  const plugin = escapeRegex(prefixes.pluginPrefix)
  const help = new RegExp(`^${plugin}help(?:\\s+([\\s\\S]*))?$`).exec(rest)
  if (help !== null) return { _tag: "Help", args: (help[1] ?? "").trim() }
  const run =
    prefixes.pluginPrefix === ""
      ? /^([\s\S]+)$/.exec(rest)
      : new RegExp(`^${plugin}\\s+([\\s\\S]+)$`).exec(rest)
  if (run === null) return undefined
  const command = run[1]!.trim()
  return command === "" ? undefined : { _tag: "Run", command }
}
