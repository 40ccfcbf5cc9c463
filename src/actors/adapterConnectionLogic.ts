import { Cause, Effect, Fiber, Runtime, Stream } from "effect"
import { fromCallback } from "xstate"
import type { ChatAdapter } from "../adapters/ChatAdapter.ts"
import {
  type AdapterConnectionChildInput,
  type AdapterConnectionEvent,
  adapterConnectionMachine,
} from "../machines/adapterConnectionMachine.ts"

/**
 * The `connection` child of the adapter-connection machine for one adapter: while it runs, one
 * adapter session is open (`adapter.connect` in its own scope) and every status change is sent
 * back as STATUS. Stopping the child interrupts the fiber, which closes the session. Status is
 * read after `connect` was acquired, so a previous session's final status is never replayed.
 *
 * `runtime` carries the application's services (logger); the default runtime is fine in tests.
 */
export const adapterConnectionLogic = (
  adapter: ChatAdapter | ((name: string) => ChatAdapter),
  runtime: Runtime.Runtime<never> = Runtime.defaultRuntime,
) =>
  fromCallback<AdapterConnectionEvent, AdapterConnectionChildInput>(({ sendBack, input }) => {
    const chat = typeof adapter === "function" ? adapter(input.name) : adapter
    let stopped = false
    const session = Effect.scoped(
      Effect.gen(function* () {
        yield* chat.connect
        yield* Stream.runForEach(chat.status, (status) =>
          Effect.sync(() => {
            if (!stopped) sendBack({ type: "STATUS", status })
          }),
        )
      }),
    ).pipe(
      // A session that crashes (a bug in an adapter, a throwing SDK) is a disconnect: the machine
      // backs off and opens a fresh session instead of waiting on a dead one.
      Effect.catchAllCause((cause) =>
        Cause.isInterruptedOnly(cause)
          ? Effect.void
          : Effect.logError(`chat adapter ${chat.name} crashed`, cause).pipe(
              Effect.zipRight(
                Effect.sync(() => {
                  if (!stopped)
                    sendBack({
                      type: "STATUS",
                      status: { _tag: "Disconnected", reason: `the adapter crashed: ${Cause.squash(cause)}` },
                    })
                }),
              ),
            ),
      ),
    )
    const fiber = Runtime.runFork(runtime)(session)
    return () => {
      stopped = true
      Runtime.runFork(runtime)(Fiber.interrupt(fiber))
    }
  })

/**
 * The supervisor's `adapter` child: the adapter-connection machine for the adapter its input
 * names (`{ name }`), among `adapters`.
 */
export const adapterActorLogic = (
  adapters: ReadonlyArray<ChatAdapter>,
  runtime: Runtime.Runtime<never> = Runtime.defaultRuntime,
) =>
  adapterConnectionMachine.provide({
    actors: {
      connection: adapterConnectionLogic((name) => {
        const found = adapters.find((a) => a.name === name)
        if (found === undefined) throw new Error(`no chat adapter named "${name}"`)
        return found
      }, runtime),
    },
  })
