import { Schema } from "effect"

/**
 * `201` of `POST /auth/v1/tokens`. `expiry` is st2's `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC).
 * The token is decoded straight into a `Redacted`, so it never prints.
 */
export const St2Token = Schema.Struct({
  user: Schema.String,
  token: Schema.Redacted(Schema.String),
  expiry: Schema.Date,
  id: Schema.optional(Schema.String),
  metadata: Schema.optional(Schema.Unknown),
})
export type St2Token = typeof St2Token.Type

/** `200` of `POST /auth/v1/tokens/validate`. */
export const TokenValidation = Schema.Struct({ valid: Schema.Boolean })
export type TokenValidation = typeof TokenValidation.Type
