import { Schema } from "effect"

/** Every status an execution can have (contract §4). */
export const ExecutionStatus = Schema.Literal(
  "requested",
  "scheduled",
  "delayed",
  "running",
  "succeeded",
  "failed",
  "timeout",
  "abandoned",
  "canceling",
  "canceled",
  "pending",
  "pausing",
  "paused",
  "resuming",
)
export type ExecutionStatus = typeof ExecutionStatus.Type

const finished: ReadonlySet<string> = new Set(["succeeded", "failed", "timeout", "canceled", "abandoned"])
/** True once an execution will not change status again. */
export const isExecutionFinished = (status: string): boolean => finished.has(status)

const UnknownRecord = Schema.Record({ key: Schema.String, value: Schema.Unknown })

const OptionalText = Schema.optional(Schema.NullOr(Schema.String))

/**
 * `context` of an execution: `api_user` is the chat user, `user` the st2 user whose credential
 * ran it, `action_alias_ref` the alias (`{id, name}` as st2 stores it). Unset values may come as
 * `null`. Other keys (`trace_context`, `parent`...) are kept as they are.
 */
export const ExecutionContext = Schema.Struct(
  {
    user: OptionalText,
    api_user: OptionalText,
    action_alias_ref: Schema.optional(
      Schema.NullOr(
        Schema.Union(
          Schema.String,
          Schema.Struct({ id: Schema.optional(Schema.String), name: Schema.optional(Schema.String) }),
        ),
      ),
    ),
    source_channel: OptionalText,
  },
  UnknownRecord,
)

/**
 * An action execution (`GET /api/v1/executions/{id}`, and `execution` of an alias execution).
 * Falsy fields are omitted by st2, so nearly everything is optional. `status` is a plain string
 * so a status added by a later st2 does not make the record undecodable; compare it with
 * `ExecutionStatus` values and `isExecutionFinished`.
 */
export const Execution = Schema.Struct({
  id: Schema.String,
  status: Schema.String,
  action: Schema.optional(Schema.Struct({ ref: Schema.optional(Schema.String) })),
  parameters: Schema.optional(UnknownRecord),
  result: Schema.optional(Schema.Unknown),
  context: Schema.optional(ExecutionContext),
  web_url: OptionalText,
  start_timestamp: OptionalText,
  end_timestamp: OptionalText,
  elapsed_seconds: Schema.optional(Schema.Number),
  liveaction: Schema.optional(Schema.Unknown),
  runner: Schema.optional(Schema.Unknown),
})
export type Execution = typeof Execution.Type
