/** Python 3's `round()`: halves go to the even neighbour. */
const roundHalfEven = (x: number): number => {
  const floor = Math.floor(x)
  const diff = x - floor
  if (diff > 0.5) return floor + 1
  if (diff < 0.5) return floor
  return floor % 2 === 0 ? floor : floor + 1
}

/**
 * st2's `to_human_time_from_seconds` Jinja filter: `0s`, `45s`, `1m5s`, `2h0m7s`, `1d0h0m0s`...
 * (below one second it prints the number followed by `μs`, as st2 does).
 */
export const toHumanTimeFromSeconds = (value: unknown): string | null => {
  if (value === null || value === undefined) return null
  const seconds = Number(value)
  if (!Number.isFinite(seconds)) throw new Error(`to_human_time_from_seconds: not a number: ${String(value)}`)
  if (seconds === 0) return "0s"
  if (seconds < 1) return `${seconds}\u03BCs`
  let rest = Number.isInteger(seconds) ? seconds : roundHalfEven(seconds)
  const secs = rest % 60
  rest = Math.floor(rest / 60)
  const mins = rest % 60
  rest = Math.floor(rest / 60)
  const hours = rest % 24
  const totalDays = Math.floor(rest / 24)
  // st2 adds the timedelta to 0001-01-01 and reads years and day-of-month back.
  const date = new Date(Date.UTC(2001, 0, 1))
  date.setUTCFullYear(1)
  date.setUTCDate(date.getUTCDate() + totalDays)
  const years = date.getUTCFullYear() - 1
  const days = date.getUTCDate() - 1
  const parts = [years, days, hours, mins, secs]
  const first = parts.findIndex((p) => p !== 0)
  if (first === -1) return "0s"
  const used = parts.slice(first)
  const units = ["y", "d", "h", "m", "s"].slice(first)
  return used.map((p, i) => `${p}${units[i]}`).join("")
}
