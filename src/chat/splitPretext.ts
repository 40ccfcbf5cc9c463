/**
 * `{~}` in a message separates a plain-text part (the "pretext") from the rest, a Hubot
 * convention alias authors use: Slack-like backends show the pretext as text and the rest as an
 * attachment; plain backends show both, pretext first.
 */
export const PRETEXT_DELIMITER = "{~}"

export interface PretextSplit {
  /** The part before the first `{~}`; "" when there is none. */
  readonly pretext: string
  /** Everything after the first `{~}` (the whole message when there is none). */
  readonly text: string
}

/**
 * Splits at the FIRST `{~}`. Unlike Hubot (which drops what follows a second `{~}`), everything
 * after the first delimiter is kept, later delimiters included, so nothing is lost.
 */
export const splitPretext = (message: string): PretextSplit => {
  const at = message.indexOf(PRETEXT_DELIMITER)
  if (at < 0) return { pretext: "", text: message }
  return { pretext: message.slice(0, at), text: message.slice(at + PRETEXT_DELIMITER.length) }
}

/** The plain rendering (Hubot's default handler): pretext, a newline, the rest; either alone when the other is empty. */
export const plainText = (message: string): string => {
  const { pretext, text } = splitPretext(message)
  if (pretext !== "" && text !== "") return `${pretext}\n${text}`
  return pretext !== "" ? pretext : text
}
