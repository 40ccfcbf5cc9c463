/** Levenshtein distance (insertions, deletions, substitutions; a swap of neighbours counts 1). */
export const editDistance = (a: string, b: string): number => {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  )
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1)
      d[i]![j] = best
    }
  }
  return d[a.length]![b.length]!
}

/**
 * The candidate closest to `word` (case-insensitive, `-` read as `_`), if it is close enough to be a
 * likely typo: at most 1 edit for short words, about a third of the length for longer ones.
 */
export const didYouMean = (word: string, candidates: ReadonlyArray<string>): string | undefined => {
  const w = word.toLowerCase().replaceAll("-", "_")
  // A shortened word (`warn` for `warning`) is a likely slip whatever its distance.
  const prefixed = w.length >= 3 ? candidates.filter((c) => c.toLowerCase().startsWith(w)) : []
  if (prefixed.length === 1) return prefixed[0]
  let best: { readonly candidate: string; readonly distance: number } | undefined
  for (const candidate of candidates) {
    const distance = editDistance(w, candidate.toLowerCase())
    if (best === undefined || distance < best.distance) best = { candidate, distance }
  }
  if (best === undefined) return undefined
  const limit = Math.max(1, Math.floor(Math.max(w.length, best.candidate.length) / 3))
  return best.distance <= limit ? best.candidate : undefined
}

/** "did you mean `x`?" when there is a close candidate, else the list of valid ones. */
export const suggestion = (word: string, candidates: ReadonlyArray<string>, what: string): string => {
  const close = didYouMean(word, candidates)
  return close !== undefined
    ? `did you mean \`${close}\`?`
    : `${what}: ${candidates.map((c) => `\`${c}\``).join(", ")}`
}
