import { Schema } from "effect"

/**
 * An inquiry (`core.ask`). `schema` is the JSON schema the response must satisfy; st2 checks
 * the RESPONDING st2 user against `users`/`roles`. `ttl` is in minutes.
 */
export const Inquiry = Schema.Struct({
  id: Schema.String,
  schema: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  roles: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  users: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  route: Schema.optional(Schema.NullOr(Schema.String)),
  ttl: Schema.optional(Schema.NullOr(Schema.Number)),
})
export type Inquiry = typeof Inquiry.Type

/** `PUT /api/v1/inquiries/{id}` body and its `200` answer. */
export const InquiryResponse = Schema.Struct({
  id: Schema.String,
  response: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
})
export type InquiryResponse = typeof InquiryResponse.Type
