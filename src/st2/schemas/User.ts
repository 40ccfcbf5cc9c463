import { Schema } from "effect"

/** `GET /api/v1/user`: who a credential authenticates as, and how. The cheapest credential probe. */
export const St2User = Schema.Struct({
  username: Schema.String,
  authentication: Schema.Struct({
    /** e.g. `authentication token`, `api key` */
    method: Schema.String,
    location: Schema.optional(Schema.NullOr(Schema.String)),
    /** Only for tokens. */
    token_expire: Schema.optional(Schema.NullOr(Schema.String)),
  }),
  rbac: Schema.optional(Schema.Unknown),
})
export type St2User = typeof St2User.Type
