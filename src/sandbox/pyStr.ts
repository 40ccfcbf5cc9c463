import { pyRepr } from "./validateBody.ts"

/** Python's `str()` of a JSON value: what Jinja prints for it in st2's templates. */
export const pyStr = (value: unknown): string =>
  typeof value === "string" ? value : typeof value === "number" ? pyFloat(value) : pyRepr(value)

const pyFloat = (n: number): string => (Number.isInteger(n) || !Number.isFinite(n) ? String(n) : String(n))

/** Python truthiness of a JSON value (empty strings, lists and dicts, 0 and None are false). */
export const pyTruthy = (value: unknown): boolean => {
  if (value === null || value === undefined || value === false || value === 0 || value === "") return false
  if (Array.isArray(value)) return value.length > 0
  if (typeof value === "object") return Object.keys(value).length > 0
  return true
}
