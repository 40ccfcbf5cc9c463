import { Schema } from "effect"

/**
 * One entry of an alias's `formats`: a format string, or an object whose `display` is shown in
 * help and whose `representation` strings (one string is accepted too) are matched.
 */
export const AliasFormat = Schema.Union(
  Schema.String,
  Schema.Struct({
    display: Schema.optional(Schema.NullOr(Schema.String)),
    representation: Schema.optional(Schema.Union(Schema.String, Schema.Array(Schema.String))),
    match_multiple: Schema.optional(Schema.Boolean),
  }),
)
export type AliasFormat = typeof AliasFormat.Type

export const AliasAck = Schema.Struct({
  enabled: Schema.optional(Schema.Boolean),
  format: Schema.optional(Schema.String),
  append_url: Schema.optional(Schema.Boolean),
  extra: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
})

export const AliasResult = Schema.Struct({
  enabled: Schema.optional(Schema.Boolean),
  format: Schema.optional(Schema.String),
  extra: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
})

/** An ActionAlias as `GET /api/v1/actionalias` returns it (unknown keys are ignored). */
export const ActionAlias = Schema.Struct({
  id: Schema.optional(Schema.String),
  ref: Schema.optional(Schema.String),
  uid: Schema.optional(Schema.String),
  name: Schema.String,
  pack: Schema.String,
  description: Schema.optional(Schema.NullOr(Schema.String)),
  /** Missing means enabled. */
  enabled: Schema.optional(Schema.Boolean),
  action_ref: Schema.String,
  formats: Schema.Array(AliasFormat),
  ack: Schema.optional(AliasAck),
  result: Schema.optional(AliasResult),
  extra: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  immutable_parameters: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  metadata_file: Schema.optional(Schema.String),
})
export type ActionAlias = typeof ActionAlias.Type

/** `pack.name`, the alias's ref whether or not the server sent `ref`. */
export const aliasRef = (alias: Pick<ActionAlias, "pack" | "name">): string => `${alias.pack}.${alias.name}`
