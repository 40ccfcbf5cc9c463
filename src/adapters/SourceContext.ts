import { Option, Schema } from "effect"
import type { ChatMessage } from "./ChatMessage.ts"

/**
 * The chat envelope sent to StackStorm as `source_context` with every alias execution. st2
 * stores it on the execution and the chatops pack hands it back as the announcement's
 * `payload.context`, which is how a result finds the thread (and message) its command came from.
 * Kept small and JSON-only: st2 stores it verbatim.
 */
export const SourceContext = Schema.Struct({
  /** The adapter instance name that received the command (`ChatAdapter.name`). */
  adapter: Schema.String,
  messageId: Schema.String,
  threadId: Schema.optional(Schema.String),
  room: Schema.optional(Schema.Struct({ id: Schema.String, name: Schema.String })),
  user: Schema.Struct({ id: Schema.String, name: Schema.String, handle: Schema.String }),
  isDirect: Schema.Boolean,
})
export type SourceContext = typeof SourceContext.Type

/** The default `source_context` of a message; adapters may add nothing else the core relies on. */
export const sourceContextOf = (adapterName: string, message: ChatMessage): SourceContext => ({
  adapter: adapterName,
  messageId: message.id,
  ...(message.threadId === undefined ? {} : { threadId: message.threadId }),
  ...(message.room === undefined ? {} : { room: { id: message.room.id, name: message.room.name } }),
  user: { id: message.user.id, name: message.user.displayName, handle: message.user.handle },
  isDirect: message.isDirect,
})

/**
 * Reads an announcement's `context` back. Anything that is not one of ours (null, another bot's
 * envelope, a workflow's own data) is `None`, never an error: the message is still delivered.
 */
export const decodeSourceContext = (context: unknown): Option.Option<SourceContext> => {
  if (typeof context !== "object" || context === null) return Option.none()
  let decoded = decodedContexts.get(context)
  if (decoded === undefined) {
    const quick = fastSourceContext(context)
    decoded = quick === undefined ? decode(context) : Option.some(quick)
    decodedContexts.set(context, decoded)
  }
  return decoded
}

type Json = { readonly [key: string]: unknown }
const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * `SourceContext`'s decode, by hand: the same output as `Schema.decodeUnknownOption(SourceContext)`
 * (known keys only), or `undefined` for anything it does not accept, for which the caller uses
 * the Schema. Every ack and every result reads a context once, and the Schema's decoder
 * allocated ~3 KB per command. test/st2/fast/fastDecoders.test.ts checks it against the Schema.
 * (It lives here, beside the Schema it mirrors: a file of its own made an import cycle.)
 */
export const fastSourceContext = (u: unknown): SourceContext | undefined => {
  if (!isObject(u)) return undefined
  const { adapter, messageId, threadId, room, user, isDirect } = u
  if (typeof adapter !== "string" || typeof messageId !== "string" || typeof isDirect !== "boolean")
    return undefined
  if (!(threadId === undefined || typeof threadId === "string")) return undefined
  if (!isObject(user)) return undefined
  const { id, name, handle } = user
  if (typeof id !== "string" || typeof name !== "string" || typeof handle !== "string") return undefined
  if (room !== undefined && !(isObject(room) && typeof room.id === "string" && typeof room.name === "string"))
    return undefined
  // Keys in the Schema's order, optional ones only when present (`toEqual` and JSON agree).
  return {
    adapter,
    messageId,
    ...(threadId === undefined ? {} : { threadId }),
    ...(room === undefined ? {} : { room: { id: room.id as string, name: room.name as string } }),
    user: { id, name, handle },
    isDirect,
  }
}

const decode = Schema.decodeUnknownOption(SourceContext)
// An announcement's context is read three times on its way to chat (pending results, adapter,
// thread); parsed JSON is never mutated, so one decode per object serves them all.
const decodedContexts = new WeakMap<object, Option.Option<SourceContext>>()
