import type { SourceContext } from "./SourceContext.ts"

type Json = { readonly [key: string]: unknown }
const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * `SourceContext`'s decode, by hand: the same output as `Schema.decodeUnknownOption(SourceContext)`
 * (known keys only), or `undefined` for anything it does not accept, for which the caller uses
 * the Schema. Every ack and every result reads a context once, and the Schema's decoder
 * allocated ~3 KB per command. test/st2/fast/fastDecoders.test.ts checks it against the Schema.
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
