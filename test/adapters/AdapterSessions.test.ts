import { Effect, Exit, Scope } from "effect"
import { describe, expect, it } from "vitest"
import { makeAdapterSessions } from "../../src/adapters/AdapterSessions.ts"
import { makeAdapterStreams } from "../../src/adapters/AdapterStreams.ts"
import type { ConnectionStatus } from "../../src/adapters/ChatAdapter.ts"

/** A scaffolding whose sessions are numbered, and what `open` and `close` saw. */
const world = (options: { readonly endInput?: boolean } = {}) => {
  const streams = makeAdapterStreams()
  const seen: string[] = []
  let opened = 0
  const sessions = makeAdapterSessions(streams, {
    open: () => {
      seen.push(`open ${opened + 1}: ${streams.currentStatus()._tag}`)
      return { id: ++opened }
    },
    close: async (session) => {
      seen.push(`close ${session.id}: current ${sessions.current()?.id ?? "none"}`)
      await new Promise((resolve) => setTimeout(resolve, 1))
      if (options.endInput) streams.setStatus({ _tag: "Stopped", reason: "inputEnded" })
    },
  })
  const connect = () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        yield* Scope.extend(sessions.connect, scope)
        return scope
      }),
    )
  const close = (scope: Scope.CloseableScope) => Effect.runPromise(Scope.close(scope, Exit.void))
  const status = (): ConnectionStatus => streams.currentStatus()
  return { sessions, seen, connect, close, status }
}

describe("makeAdapterSessions: the connect contract every adapter shares", () => {
  it("reports Connecting before open, keeps the session as current, and Stopped { closed } after close", async () => {
    const w = world()
    expect(w.status()).toEqual({ _tag: "Stopped", reason: "closed" })
    const scope = await w.connect()
    expect(w.status()).toEqual({ _tag: "Connecting" })
    expect(w.sessions.current()).toEqual({ id: 1 })
    await w.close(scope)
    expect(w.sessions.current()).toBeUndefined()
    expect(w.status()).toEqual({ _tag: "Stopped", reason: "closed" })
    // `close` already saw no current session: late events and sends find none.
    expect(w.seen).toEqual(["open 1: Connecting", "close 1: current none"])
  })

  it("opens a fresh session on each connect after the previous scope closed", async () => {
    const w = world()
    await w.close(await w.connect())
    const second = await w.connect()
    expect(w.sessions.current()).toEqual({ id: 2 })
    expect(w.status()._tag).toBe("Connecting")
    await w.close(second)
    expect(w.seen).toEqual([
      "open 1: Connecting",
      "close 1: current none",
      "open 2: Connecting",
      "close 2: current none",
    ])
  })

  it("keeps a Stopped the session reported itself (end of input)", async () => {
    const w = world({ endInput: true })
    await w.close(await w.connect())
    expect(w.status()).toEqual({ _tag: "Stopped", reason: "inputEnded" })
  })
})
