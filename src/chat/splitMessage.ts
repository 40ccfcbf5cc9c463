/**
 * Splits `text` into parts of at most `limit` characters (UTF-16 code units, JS `length`) for a
 * backend's message-size limit.
 *
 * - Cuts fall on line boundaries: each part ends with the `\n` that ended its last line (the
 *   last part excepted), so `parts.join("") === text` exactly when no fence was balanced.
 * - A single line longer than the room available is cut hard, never inside a surrogate pair.
 * - Code fences: when a cut falls inside a ``` block, the part is closed with ``` and the next
 *   part reopens it with the same opening line (language included), so each part renders as
 *   code. Room for those markers is reserved, so the limit still holds. Balancing is skipped
 *   when the markers would take half the limit or more.
 * - Text within the limit is returned as is, in one part; `""` gives `[""]`.
 */
export const splitMessage = (
  text: string,
  limit: number,
  options: { readonly balanceFences?: boolean } = {},
): ReadonlyArray<string> => {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`splitMessage: limit must be a positive integer, got ${limit}`)
  }
  if (text.length <= limit) return [text]

  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? []
  const fenceLines = lines.filter(isFenceLine).map((l) => l.replace(/\n$/, "").trim())
  const longestOpener = fenceLines.reduce((max, l) => Math.max(max, l.length), 0)
  // Worst case added to a part: "<opener>\n" in front and "\n```" at the end.
  const reserve = longestOpener === 0 ? 0 : longestOpener + 1 + FENCE.length + 1
  const balance = (options.balanceFences ?? true) && reserve > 0 && reserve * 2 < limit
  const budget = balance ? limit - reserve : limit

  // Pieces: whole lines, or hard cuts of a line too long for the budget. `lineStart` marks the
  // pieces that begin a line (only those can open or close a fence).
  const pieces: Array<{ readonly text: string; readonly lineStart: boolean }> = []
  for (const line of lines) {
    let rest = line
    let lineStart = true
    while (rest.length > budget) {
      let cut = budget
      if (isHighSurrogate(rest.charCodeAt(cut - 1)) && cut > 1) cut -= 1
      pieces.push({ text: rest.slice(0, cut), lineStart })
      rest = rest.slice(cut)
      lineStart = false
    }
    if (rest !== "") pieces.push({ text: rest, lineStart })
  }

  // Greedy packing into raw parts, tracking the fence state at each part's start and end.
  interface Raw {
    text: string
    opensWith: string | undefined
    endsIn: string | undefined
  }
  const raws: Raw[] = []
  let open: string | undefined // the opening line of the fence we are in, if any
  let current: Raw = { text: "", opensWith: undefined, endsIn: undefined }
  for (const piece of pieces) {
    if (current.text.length + piece.text.length > budget && current.text !== "") {
      current.endsIn = open
      raws.push(current)
      current = { text: "", opensWith: open, endsIn: undefined }
    }
    current.text += piece.text
    if (piece.lineStart && isFenceLine(piece.text)) {
      open = open === undefined ? piece.text.replace(/\n$/, "").trim() : undefined
    }
  }
  current.endsIn = open
  raws.push(current)

  if (!balance) return raws.map((r) => r.text)
  return raws.map((r) => {
    const head = r.opensWith === undefined ? "" : `${r.opensWith}\n`
    const tail = r.endsIn === undefined ? "" : `${r.text.endsWith("\n") ? "" : "\n"}${FENCE}`
    return head + r.text + tail
  })
}

const FENCE = "```"
const isFenceLine = (line: string): boolean => line.trimStart().startsWith(FENCE)
const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff
