import type { HelpQuery } from "./helpQuery.ts"

export interface HelpEntry {
  readonly pack: string
  readonly display: string
  readonly description?: string | null | undefined
}

/**
 * The help listing as chat text: commands grouped by pack (in the order st2 lists them), each
 * shown as the user types it (`!st2 run {{cmd}}`), with its description.
 */
export const renderHelp = (
  help: { readonly available: number; readonly helpstrings: ReadonlyArray<HelpEntry> },
  query: HelpQuery,
  commandPrefix: string,
): string => {
  if (help.helpstrings.length === 0) {
    const what = [query.pack && `pack "${query.pack}"`, query.filter && `filter "${query.filter}"`].filter(
      Boolean,
    )
    return help.available === 0
      ? `No commands${what.length > 0 ? ` for ${what.join(" and ")}` : ""}.`
      : `No commands on this page (${help.available} available); lower --offset.`
  }
  const offset = query.offset ?? 0
  const shown = help.helpstrings.length
  const header =
    shown < help.available
      ? `Commands ${offset + 1}-${offset + shown} of ${help.available} (use --limit and --offset for more):`
      : `Commands (${help.available}):`
  const lines = [header]
  let pack: string | undefined
  for (const h of help.helpstrings) {
    if (h.pack !== pack) {
      pack = h.pack
      lines.push(`${h.pack}:`)
    }
    lines.push(`  ${commandPrefix}${h.display}${h.description ? ` - ${h.description}` : ""}`)
  }
  return lines.join("\n")
}
