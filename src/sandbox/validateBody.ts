import { httpError, type HttpError } from "./HttpError.ts"

export type JsonType = "string" | "integer" | "number" | "boolean" | "object" | "array" | "null"

export interface PropertySchema {
  readonly type: JsonType | ReadonlyArray<JsonType>
  readonly minimum?: number
}

/** The subset of JSON Schema st2's request bodies use. */
export interface BodySchema {
  readonly properties: Record<string, PropertySchema>
  readonly required?: ReadonlyArray<string>
  readonly additionalProperties?: false
}

/** Python's `repr` of a JSON value, as jsonschema puts it in its messages. */
export const pyRepr = (value: unknown): string => {
  if (value === null || value === undefined) return "None"
  if (value === true) return "True"
  if (value === false) return "False"
  if (typeof value === "string") return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(value)
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(", ")}]`
  if (typeof value === "object")
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`)
      .join(", ")}}`
  return String(value)
}

/** JSON-schema `type` test; an unknown type name accepts anything. */
export const isType = (value: unknown, type: JsonType | string): boolean => {
  switch (type) {
    case "string":
      return typeof value === "string"
    case "integer":
      return typeof value === "number" && Number.isInteger(value)
    case "number":
      return typeof value === "number"
    case "boolean":
      return typeof value === "boolean"
    case "null":
      return value === null
    case "array":
      return Array.isArray(value)
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value)
    default:
      return true
  }
}

/**
 * Checks a parsed JSON body the way st2's jsonschema validation does and answers the first
 * problem with jsonschema's own message (st2 returns it as a 400 faultstring), or undefined.
 */
export const validateBody = (body: unknown, schema: BodySchema): HttpError | undefined => {
  if (!isType(body, "object")) return httpError(400, `${pyRepr(body)} is not of type 'object'`)
  const record = body as Record<string, unknown>
  for (const key of schema.required ?? []) {
    if (!(key in record)) return httpError(400, `'${key}' is a required property`)
  }
  for (const key in schema.properties) {
    if (!(key in record)) continue
    const prop = schema.properties[key]!
    const value = record[key]
    if (
      typeof prop.type === "string" ? !isType(value, prop.type) : !prop.type.some((t) => isType(value, t))
    ) {
      const types = typeof prop.type === "string" ? [prop.type] : prop.type
      return httpError(400, `${pyRepr(value)} is not of type ${types.map((t) => `'${t}'`).join(", ")}`)
    }
    if (prop.minimum !== undefined && typeof value === "number" && value < prop.minimum) {
      return httpError(400, `${pyRepr(value)} is less than the minimum of ${prop.minimum}`)
    }
  }
  if (schema.additionalProperties === false) {
    const extra = Object.keys(record).filter((k) => !(k in schema.properties))
    if (extra.length > 0) {
      const verb = extra.length === 1 ? "was" : "were"
      return httpError(
        400,
        `Additional properties are not allowed (${extra.map(pyRepr).join(", ")} ${verb} unexpected)`,
      )
    }
  }
  return undefined
}

/** Request bodies of the endpoints the sandbox serves, as st2 declares them. */
export const schemas = {
  tokenRequest: {
    properties: {
      ttl: { type: ["integer", "null"], minimum: 1 },
      user: { type: ["string", "null"] },
      impersonate_user: { type: ["string", "null"] },
      nickname_origin: { type: ["string", "null"] },
    },
  },
  tokenValidation: { properties: { token: { type: ["string", "null"] } } },
  aliasMatch: { properties: { command: { type: "string" } }, required: ["command"] },
  aliasExecution: {
    properties: {
      name: { type: "string" },
      format: { type: "string" },
      command: { type: "string" },
      user: { type: "string" },
      source_channel: { type: "string" },
      source_context: { type: "object" },
      notification_channel: { type: "string" },
      notification_route: { type: "string" },
    },
    required: ["name", "format", "command", "source_channel"],
    additionalProperties: false,
  },
  matchAndExecute: {
    properties: {
      command: { type: "string" },
      user: { type: "string" },
      source_channel: { type: "string" },
      notification_channel: { type: "string" },
      notification_route: { type: "string" },
    },
    required: ["command", "source_channel", "user"],
    additionalProperties: false,
  },
  inquiryResponse: {
    properties: { id: { type: "string" }, response: { type: "object" } },
    required: ["id", "response"],
  },
} satisfies Record<string, BodySchema>
