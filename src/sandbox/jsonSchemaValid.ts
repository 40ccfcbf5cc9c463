import { isType } from "./validateBody.ts"

type Schema = Record<string, unknown>

/**
 * Whether `value` satisfies a JSON schema (draft 3/4 keywords an inquiry schema uses: type,
 * properties, required as a list or per property, additionalProperties, enum, items, bounds,
 * pattern). Unknown keywords are ignored, as jsonschema does.
 */
export const jsonSchemaValid = (value: unknown, schema: Schema): boolean => {
  const type = schema.type
  if (typeof type === "string" && !isType(value, type)) return false
  if (Array.isArray(type) && !type.some((t) => isType(value, String(t)))) return false
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value)))
    return false
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) return false
    if (typeof schema.maximum === "number" && value > schema.maximum) return false
  }
  if (typeof value === "string") {
    if (typeof schema.minLength === "number" && value.length < schema.minLength) return false
    if (typeof schema.maxLength === "number" && value.length > schema.maxLength) return false
    if (typeof schema.pattern === "string" && !new RegExp(schema.pattern).test(value)) return false
  }
  if (Array.isArray(value) && schema.items !== null && typeof schema.items === "object") {
    if (!value.every((v) => jsonSchemaValid(v, schema.items as Schema))) return false
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const record = value as Record<string, unknown>
    const properties = (schema.properties ?? {}) as Record<string, Schema>
    const required = Array.isArray(schema.required) ? (schema.required as string[]) : []
    for (const key of required) if (!(key in record)) return false
    for (const [key, sub] of Object.entries(properties)) {
      if (!(key in record)) {
        if (sub.required === true) return false
        continue
      }
      if (!jsonSchemaValid(record[key], sub)) return false
    }
    if (schema.additionalProperties === false && Object.keys(record).some((k) => !(k in properties)))
      return false
  }
  return true
}
