import { Schema } from "effect"

export const HelpString = Schema.Struct({
  pack: Schema.String,
  display: Schema.String,
  description: Schema.optional(Schema.NullOr(Schema.String)),
})
export type HelpString = typeof HelpString.Type

/**
 * `GET /api/v1/actionalias/help`. The spec misspells `available` as `avaliable`; the server
 * sends `available` (both are accepted here, `available` wins).
 */
export const AliasHelp = Schema.transform(
  Schema.Struct({
    available: Schema.optional(Schema.Number),
    avaliable: Schema.optional(Schema.Number),
    helpstrings: Schema.Array(HelpString),
  }),
  Schema.Struct({ available: Schema.Number, helpstrings: Schema.Array(HelpString) }),
  {
    strict: true,
    decode: (i) => ({
      available: i.available ?? i.avaliable ?? i.helpstrings.length,
      helpstrings: i.helpstrings,
    }),
    encode: (a) => ({ available: a.available, helpstrings: a.helpstrings }),
  },
)
export type AliasHelp = typeof AliasHelp.Type
