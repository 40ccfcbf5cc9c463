/** Small type guards for the hand-written fast decoders of the per-command st2 answers. */

export type JsonObject = { readonly [key: string]: unknown }

export const isJsonObject = (u: unknown): u is JsonObject =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** Absent, `undefined`, `null` or a string: what `Schema.optional(Schema.NullOr(Schema.String))` accepts. */
export const isOptionalText = (u: unknown): u is string | null | undefined =>
  u === undefined || u === null || typeof u === "string"
