import { Schema } from "effect"
import { ActionAlias } from "../ActionAlias.ts"

/** `200` of `POST /api/v1/actionalias/match`: the one alias and format st2 would pick. */
export const AliasMatch = Schema.Struct({
  actionalias: ActionAlias,
  display: Schema.optional(Schema.NullOr(Schema.String)),
  representation: Schema.String,
})
export type AliasMatch = typeof AliasMatch.Type
