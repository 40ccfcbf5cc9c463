/** The most of a user's command a reply quotes back. */
export const quotedCommandMaxLength = 200

/**
 * A chat user's command, quoted for a reply. A long command (a 100 KB paste) is cut and its
 * length named, so that "I don't know ..." stays one short message instead of the whole paste
 * echoed back in dozens of chat messages.
 */
export const quoteCommand = (text: string, max = quotedCommandMaxLength): string =>
  text.length <= max ? `"${text}"` : `"${text.slice(0, max)}…" (${text.length} characters)`
