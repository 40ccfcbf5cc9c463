import { Effect, Fiber, Runtime, Stream } from "effect"
import { fromCallback } from "xstate"
import type {
  AdapterConnectionChildInput,
  AdapterConnectionEvent,
} from "../machines/adapterConnectionMachine.ts"
import type { ChatAdapter } from "./ChatAdapter.ts"

/**
 * The `connection` child of the adapter-connection machine for one adapter: while it runs, one
 * adapter session is open (`adapter.connect` in its own scope) and every status change is sent
 * back as STATUS. Stopping the child interrupts the fiber, which closes the session. Status is
 * read after `connect` was acquired, so a previous session's final status is never replayed.
 *
 * `runtime` carries the application's services (logger); the default runtime is fine in tests.
 */
export const adapterConnectionLogic = (
  adapter: ChatAdapter,
  runtime: Runtime.Runtime<never> = Runtime.defaultRuntime,
) =>
  fromCallback<AdapterConnectionEvent, AdapterConnectionChildInput>(({ sendBack }) => {
    let stopped = false
    const session = Effect.scoped(
      Effect.gen(function* () {
        yield* adapter.connect
        yield* Stream.runForEach(adapter.status, (status) =>
          Effect.sync(() => {
            if (!stopped) sendBack({ type: "STATUS", status })
          }),
        )
      }),
    )
    const fiber = Runtime.runFork(runtime)(session)
    return () => {
      stopped = true
      Runtime.runFork(runtime)(Fiber.interrupt(fiber))
    }
  })
