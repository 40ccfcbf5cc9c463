import { createWebSocketInspector } from "@statelyai/inspect"
import { Effect, type Scope } from "effect"
import type { InspectionEvent } from "xstate"

/**
 * Streams every inspection event of the actor tree to a Stately inspector over WebSocket
 * (`@statelyai/inspect`), e.g. a receiver at `ws://127.0.0.1:8080`, for a live diagram of the
 * running bot. Events wait in a buffer until the socket opens; the socket closes with the scope.
 */
export const statelyInspector = (
  url: string,
): Effect.Effect<(event: InspectionEvent) => void, never, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => createWebSocketInspector({ url })),
      (inspector) => Effect.sync(() => inspector.stop()),
    ),
    (inspector) => (event: InspectionEvent) => inspector.inspect.next?.(event),
  )
