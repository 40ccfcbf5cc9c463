/**
 * Capped exponential backoff with "equal jitter": attempt 1 waits between base/2 and base,
 * each further attempt doubles, never above `capMs`. `random` is injected so machines stay
 * pure and tests are deterministic.
 */
export const backoffDelay = (options: {
  readonly attempt: number
  readonly baseMs: number
  readonly capMs: number
  readonly random: () => number
}): number => {
  const exp = Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, options.attempt - 1))
  return Math.round(exp / 2 + (exp / 2) * options.random())
}
