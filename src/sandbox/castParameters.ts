import type { ParameterSpec } from "./builtinActions.ts"
import { httpError, type HttpError } from "./HttpError.ts"
import { pyRepr } from "./validateBody.ts"

const castOne = (name: string, value: unknown, spec: ParameterSpec): unknown => {
  if (typeof value !== "string") return value
  switch (spec.type) {
    case "array":
      return value.split(",").map((v) => v.trim())
    case "integer": {
      if (!/^\s*[-+]?\d+\s*$/.test(value))
        throw new Error(`invalid literal for int() with base 10: ${pyRepr(value)}`)
      return Number.parseInt(value, 10)
    }
    case "number": {
      const n = Number(value)
      if (value.trim() === "" || Number.isNaN(n))
        throw new Error(`could not convert string to float: ${pyRepr(value)}`)
      return n
    }
    case "boolean": {
      const lower = value.trim().toLowerCase()
      if (["true", "1", "yes", "y", "on"].includes(lower)) return true
      if (["false", "0", "no", "n", "off"].includes(lower)) return false
      throw new Error(`Invalid boolean value ${pyRepr(value)} for parameter "${name}"`)
    }
    case "object": {
      try {
        return JSON.parse(value)
      } catch {
        throw new Error(`malformed node or string: ${pyRepr(value)}`)
      }
    }
    default:
      return value
  }
}

/**
 * What st2 does to alias-extracted parameters before scheduling: cast the strings to the
 * action's declared types (arrays split on commas), fill defaults, then check the parameters
 * against the action's schema. Failures are the 400s st2 answers.
 */
export const castParameters = (
  params: Record<string, unknown>,
  specs: Record<string, ParameterSpec>,
): Record<string, unknown> | HttpError => {
  const out: Record<string, unknown> = {}
  for (const name of Object.keys(params)) {
    const value = params[name]
    const spec = specs[name]
    if (spec === undefined) {
      return httpError(400, `Additional properties are not allowed (${pyRepr(name)} was unexpected)`)
    }
    try {
      out[name] = castOne(name, value, spec)
    } catch (e) {
      return httpError(400, e instanceof Error ? e.message : String(e))
    }
  }
  for (const name of Object.keys(specs)) {
    if (name in out) continue
    const spec = specs[name]!
    if (spec.default !== undefined)
      out[name] = typeof spec.default === "object" ? structuredClone(spec.default) : spec.default
    else if (spec.required) return httpError(400, `'${name}' is a required property`)
  }
  return out
}
