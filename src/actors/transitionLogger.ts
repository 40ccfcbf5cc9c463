import type { InspectionEvent } from "xstate"

export interface Transition {
  /** The actor's system id when it has one (`credential`, `stream`, `adapter:terminal`), else its id. */
  readonly actor: string
  readonly from: string
  readonly event: string
  readonly to: string
}

const label = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value))

/**
 * Turns XState inspection events into transitions (actor, from, event, to), reported only when
 * an actor's state value changed. The source for `stormbot start --inspect`.
 */
export const transitionLogger = (report: (t: Transition) => void) => {
  const last = new WeakMap<object, string>()
  return (event: InspectionEvent): void => {
    if (event.type !== "@xstate.snapshot") return
    const snapshot = event.snapshot as { value?: unknown }
    if (!("value" in snapshot)) return // promise and callback actors have no states
    const to = label(snapshot.value)
    const from = last.get(event.actorRef)
    if (from === to) return
    last.set(event.actorRef, to)
    const ref = event.actorRef as unknown as { id: string; sessionId: string; systemId?: string }
    report({ actor: ref.systemId ?? ref.id, from: from ?? "(start)", event: event.event.type, to })
  }
}
