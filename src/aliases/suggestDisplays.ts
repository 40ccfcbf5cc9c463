import { pyWords } from "./PreparedCommand.ts"

/**
 * "Did you mean": the display strings closest to a command that matched nothing. A display is
 * reduced to its leading literal words (up to the first placeholder or regex construct: the
 * words a user must type first); the command is cut to the same number of words; both are
 * compared case-insensitively by edit distance. Only displays within 40% of that length (at
 * least 2 edits) are offered, closest first. Displays that start with a placeholder are skipped.
 */
export interface SuggestionSource {
  readonly display: string
  /** Lower-case leading literal words, e.g. `deploy {{app}} to {{env}}` → `deploy`. */
  readonly skeleton: string
  readonly words: number
}

export const suggestionSource = (display: string): SuggestionSource => {
  const literal = display.split(/\{\{|[\\^$.*+?()[\]{}|]/u)[0]!.toLowerCase()
  const words = pyWords(literal, 6)
  return { display, skeleton: words.join(" "), words: words.length }
}

const distance = (a: ReadonlyArray<string>, b: ReadonlyArray<string>, limit: number): number => {
  if (Math.abs(a.length - b.length) > limit) return limit + 1
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    let rowMin = i
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
      cur.push(v)
      if (v < rowMin) rowMin = v
    }
    if (rowMin > limit) return limit + 1
    prev = cur
  }
  return prev[b.length]!
}

export const suggestDisplays = (
  sources: ReadonlyArray<SuggestionSource>,
  command: string,
  max: number,
): ReadonlyArray<string> => {
  if (max <= 0) return []
  const commandWords = pyWords(command.toLowerCase(), 6)
  const scored: Array<{ display: string; d: number }> = []
  const seen = new Set<string>()
  for (const s of sources) {
    if (s.words === 0 || seen.has(s.display)) continue
    const cut = Array.from(commandWords.slice(0, s.words).join(" "))
    const target = Array.from(s.skeleton)
    const limit = Math.max(2, Math.floor(target.length * 0.4))
    const d = distance(cut, target, limit)
    if (d <= limit) {
      seen.add(s.display)
      scored.push({ display: s.display, d })
    }
  }
  scored.sort((a, b) => a.d - b.d || (a.display < b.display ? -1 : a.display > b.display ? 1 : 0))
  return scored.slice(0, max).map((s) => s.display)
}
