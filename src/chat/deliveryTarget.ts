import type { ChatDelivery } from "./ChatDelivery.ts"

/**
 * Where a delivery goes, still in StackStorm's strings (the adapter resolves them). err-stackstorm's
 * rule: `whisper` with a user → that user privately; else the channel; else the user; neither →
 * undeliverable.
 */
export type DeliveryTarget =
  /** Privately to `user`; `channel` (when st2 gave one) lets a platform show it ephemerally there. */
  | { readonly _tag: "ToUser"; readonly user: string; readonly channel?: string | undefined }
  /** To `channel`; `user` is kept as a fallback when the channel cannot be resolved. */
  | { readonly _tag: "ToChannel"; readonly channel: string; readonly user?: string | undefined }
  | { readonly _tag: "Undeliverable"; readonly reason: string }

/** Empty and blank strings count as absent (workflows often pass `""` for "no channel"). */
const present = (s: string | null | undefined): string | undefined =>
  s === null || s === undefined || s.trim() === "" ? undefined : s

export const deliveryTarget = (
  delivery: Pick<ChatDelivery, "channel" | "user" | "whisper">,
): DeliveryTarget => {
  const channel = present(delivery.channel)
  const user = present(delivery.user)
  if (delivery.whisper === true && user !== undefined) return { _tag: "ToUser", user, channel }
  if (channel !== undefined) return { _tag: "ToChannel", channel, user }
  if (user !== undefined) return { _tag: "ToUser", user }
  return {
    _tag: "Undeliverable",
    reason: "the message names neither a channel nor a user",
  }
}

/**
 * The ordering key of a delivery: deliveries with the same key are posted in the order they
 * were received. Computed from st2's strings, before any (asynchronous) resolution, so a slow
 * lookup cannot reorder a room's results.
 */
export const deliveryKey = (target: Exclude<DeliveryTarget, { _tag: "Undeliverable" }>): string =>
  target._tag === "ToUser" ? `user:${target.user}` : `channel:${target.channel}`
