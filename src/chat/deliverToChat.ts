import { Effect, Option } from "effect"
import { type ChatAdapter, ChatTarget } from "../adapters/ChatAdapter.ts"
import { ChatSendPermanent, type ChatResolveError, type ChatSendError } from "../adapters/ChatAdapterError.ts"
import { decodeSourceContext } from "../adapters/SourceContext.ts"
import type { ChatDelivery } from "./ChatDelivery.ts"
import { type DeliveryTarget, deliveryKey, deliveryTarget } from "./deliveryTarget.ts"
import type { OutboundQueue } from "./OutboundQueue.ts"
import { plainText } from "./splitPretext.ts"
import { splitMessage } from "./splitMessage.ts"

export type DeliveryPlan =
  | {
      readonly _tag: "Queued"
      readonly key: string
      /** Chat messages queued. */
      readonly parts: number
      /** Parts left out by `maxParts` (0 when nothing was cut). */
      readonly cutParts?: number
    }
  | { readonly _tag: "Undeliverable"; readonly reason: string }

/** Bounds of one delivery (announcements and webhook messages; replies have none). */
export interface DeliveryLimits {
  /**
   * At most this many chat messages (`limits.max_result_parts`). A longer text shows its first
   * parts, the last of them shortened to end with a note saying how much was cut and, from
   * `link`, where to read the whole of it.
   */
  readonly maxParts?: number | undefined
  /** The execution's page (its `web_url`); asked for only when something is cut. */
  readonly link?: (() => string | undefined) | undefined
}

/**
 * Hands one announcement (or webhook message) to the outbound queue of `adapter`:
 * 1. picks the target with err-stackstorm's rule (`deliveryTarget`); neither channel nor user →
 *    logged as undeliverable, nothing queued;
 * 2. queues it in the lane of that target (st2's strings), so a room's results keep st2's order;
 * 3. when its turn comes: resolves the target through the adapter (a whisper is shown
 *    ephemerally in the channel where the platform can, else privately; an unknown channel falls
 *    back to the user, as err-stackstorm does), puts it in the command's thread when the
 *    returned `context` is our `source_context` for that room, joins the `{~}` parts, splits the
 *    text to the adapter's limit on line boundaries, and sends the parts in order, `extra` with
 *    the first. A retried job resumes at the first unsent part;
 * 4. with `limits.maxParts`, a text longer than that many parts is cut (`cutParts`): its last
 *    part shown says how much was left out and links the execution where `limits.link` knows it.
 */
export const deliverToChat = (
  adapter: ChatAdapter,
  queue: OutboundQueue,
  delivery: ChatDelivery,
  limits: DeliveryLimits = {},
): Effect.Effect<DeliveryPlan> =>
  Effect.suspend((): Effect.Effect<DeliveryPlan> => {
    const plan = queueDelivery(adapter, queue, delivery, limits)
    return plan._tag === "Queued" ? Effect.succeed(plan) : Effect.as(logUndelivered(adapter.name, plan), plan)
  })

/** The log line of a delivery that was not queued: a warning for an empty message, else an error. */
export const logUndelivered = (
  adapter: string | undefined,
  plan: Extract<DeliveryPlan, { _tag: "Undeliverable" }>,
): Effect.Effect<void> =>
  (plan.reason === emptyMessage
    ? Effect.logWarning("chat message not sent")
    : Effect.logError("chat message undeliverable")
  ).pipe(Effect.annotateLogs({ adapter, reason: plan.reason }))

const emptyMessage = "the message is empty"

/**
 * `deliverToChat` as a plain call that logs nothing: queues the delivery (or says why not) at
 * once. Every command queues two deliveries (ack and result), so this path has no effect steps.
 */
export const queueDelivery = (
  adapter: ChatAdapter,
  queue: OutboundQueue,
  delivery: ChatDelivery,
  limits: DeliveryLimits = {},
): DeliveryPlan => {
  const target = deliveryTarget(delivery)
  if (target._tag === "Undeliverable") return target
  const extra = delivery.extra ?? undefined
  const text = plainText(delivery.message)
  if (text.trim() === "" && (extra === undefined || Object.keys(extra).length === 0))
    return { _tag: "Undeliverable", reason: emptyMessage }
  const limit = adapter.limits.maxMessageLength
  const split = splitMessage(text, limit)
  const { shown, cut } =
    limits.maxParts !== undefined && split.length > limits.maxParts
      ? cutParts(split, Math.max(1, limits.maxParts), limit, limits.link?.())
      : { shown: split, cut: 0 }
  const parts = shown.map((p) => p.replace(/\n$/, ""))
  const key = deliveryKey(target)
  const label = `${key} (${parts.length} part${parts.length === 1 ? "" : "s"}${cut > 0 ? `, ${cut} cut` : ""})`

  let resolved: ChatTarget | undefined
  const resolve = Effect.map(resolveDelivery(adapter, target, delivery.context), (to) => {
    resolved = to
    return to
  })
  // One part (nearly every ack and result): the send itself; a retry re-sends it, nothing was sent.
  if (parts.length === 1) {
    const message = { text: parts[0]!, extra }
    const run = Effect.suspend(() =>
      resolved !== undefined
        ? adapter.send(resolved, message)
        : Effect.flatMap(resolve, (to) => adapter.send(to, message)),
    )
    queue.offer(`${adapter.name}/${key}`, { label, run })
    return { _tag: "Queued", key, parts: 1, cutParts: cut }
  }
  let sent = 0
  const sendRest = (to: ChatTarget): Effect.Effect<void, ChatSendError> =>
    sent >= parts.length
      ? Effect.void
      : adapter.send(to, { text: parts[sent]!, extra: sent === 0 ? extra : undefined }).pipe(
          Effect.mapError((e) =>
            e._tag === "ChatSendPermanent" && parts.length > 1
              ? new ChatSendPermanent({
                  adapter: e.adapter,
                  reason: `${e.reason} (part ${sent + 1} of ${parts.length})`,
                })
              : e,
          ),
          Effect.flatMap(() => {
            sent += 1
            return sendRest(to)
          }),
        )
  const run = Effect.suspend(() =>
    resolved !== undefined ? sendRest(resolved) : Effect.flatMap(resolve, sendRest),
  )
  queue.offer(`${adapter.name}/${key}`, { label, run })
  return { _tag: "Queued", key, parts: parts.length, cutParts: cut }
}

/**
 * The first `max` of `parts` (each within `limit`), the last one shortened on a line boundary
 * so that it ends with the note "… 279 more parts (1.0 MB) not shown; the whole result: <link>".
 * `cut` counts the whole parts left out; the size is that of everything left out.
 */
export const cutParts = (
  parts: ReadonlyArray<string>,
  max: number,
  limit: number,
  link: string | undefined,
): { readonly shown: ReadonlyArray<string>; readonly cut: number } => {
  const cut = parts.length - max
  const note = (bytes: number) =>
    `… ${cut} more part${cut === 1 ? "" : "s"} (${formatBytes(bytes)}) not shown` +
    (link === undefined ? "." : `; the whole result: ${link}`)
  const lastPart = parts[max - 1]!
  const after = parts.slice(max)
  const afterBytes = after.reduce((n, p) => n + Buffer.byteLength(p), 0)
  // Room for the note at its longest (the size's digits may vary), and the line break before it.
  const budget = limit - note(Number.MAX_SAFE_INTEGER).length - 1
  const kept = budget < 1 ? "" : (splitMessage(lastPart, budget)[0] ?? "")
  const left = lastPart.length - kept.length
  const bytes = afterBytes + (left > 0 ? Buffer.byteLength(lastPart.slice(kept.length)) : 0)
  const last = `${kept.replace(/\n$/, "")}${kept === "" ? "" : "\n"}${note(bytes)}`.slice(0, limit)
  return { shown: [...parts.slice(0, max - 1), last], cut }
}

/** Bytes for people: "812 bytes", "4.2 kB", "1.0 MB" (decimal units). */
export const formatBytes = (bytes: number): string =>
  bytes < 1_000
    ? `${bytes} byte${bytes === 1 ? "" : "s"}`
    : bytes < 999_950
      ? `${(bytes / 1_000).toFixed(1)} kB`
      : `${(bytes / 1_000_000).toFixed(1)} MB`

/** st2's strings → a platform target, with err-stackstorm's fallbacks and the command's thread. */
export const resolveDelivery = (
  adapter: ChatAdapter,
  target: Exclude<DeliveryTarget, { _tag: "Undeliverable" }>,
  context: unknown,
): Effect.Effect<ChatTarget, ChatResolveError> => {
  if (target._tag === "ToUser")
    return Effect.gen(function* () {
      const user = yield* adapter.resolveUser(target.user)
      if (target.channel === undefined || !adapter.capabilities.ephemeral) return ChatTarget.direct(user)
      const inRoom = yield* adapter.resolveTarget(target.channel, target.user).pipe(Effect.option)
      if (Option.isSome(inRoom) && inRoom.value._tag === "Room") {
        const room = inRoom.value
        return ChatTarget.ephemeral(
          room.room,
          user,
          room.threadId ?? threadFor(adapter, room.room.id, context),
        )
      }
      return ChatTarget.direct(user)
    })
  const userFallback = target.user
  return adapter.resolveTarget(target.channel, target.user).pipe(
    Effect.catchTag("ChatTargetUnknown", (e) =>
      userFallback === undefined
        ? Effect.fail(e)
        : Effect.logWarning("unknown chat channel, sending to the user instead").pipe(
            Effect.annotateLogs({ adapter: adapter.name, channel: target.channel, reason: e.reason }),
            Effect.zipRight(adapter.resolveUser(userFallback)),
            Effect.map(ChatTarget.direct),
          ),
    ),
    Effect.map((found) =>
      found._tag === "Room" && found.threadId === undefined
        ? ChatTarget.room(found.room, threadFor(adapter, found.room.id, context))
        : found,
    ),
  )
}

/** The thread of the command this result answers, if `context` is our envelope for that room. */
const threadFor = (adapter: ChatAdapter, roomId: string, context: unknown): string | undefined =>
  Option.match(decodeSourceContext(context), {
    onNone: () => undefined,
    onSome: (ctx) => (ctx.adapter === adapter.name && ctx.room?.id === roomId ? ctx.threadId : undefined),
  })
