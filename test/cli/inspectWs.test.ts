import type { AddressInfo } from "node:net"
import { afterAll, describe, expect, it } from "vitest"
import { WebSocketServer } from "ws"
import { spawnCli } from "./cliProcess.ts"

describe("stormbot demo --inspect-ws", () => {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 })
  const received: Array<{ type?: string; sessionId?: string; name?: string }> = []
  server.on("connection", (socket) =>
    socket.on("message", (data) => {
      try {
        received.push(JSON.parse(String(data)))
      } catch {}
    }),
  )
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it("streams the actor tree's inspection events to a Stately inspector over WebSocket", async () => {
    const { port } = server.address() as AddressInfo
    const demo = spawnCli(["demo", "--result-delay", "20", "--inspect-ws", `ws://127.0.0.1:${port}`], {
      stdin: "!st2 run date on localhost\n",
    })
    expect(await demo.exited, demo.stderr()).toEqual({ code: 0, signal: null })
    expect(demo.stdout()).toContain("localhost: ")
    const types = new Set(received.map((e) => e.type))
    expect(types.has("@xstate.actor")).toBe(true)
    expect(types.has("@xstate.snapshot")).toBe(true)
    expect(types.has("@xstate.event")).toBe(true)
    // The whole tree, children included: the supervisor, the stream, a chat session.
    const text = JSON.stringify(received)
    for (const id of ["supervisor", "stream", "session.0"]) expect(text).toContain(id)
  })

  it("rejects a URL that is not ws:// with exit code 2", async () => {
    const demo = spawnCli(["demo", "--inspect-ws", "http://127.0.0.1:1"])
    expect((await demo.exited).code).toBe(2)
    expect(demo.stderr()).toContain("--inspect-ws must be a ws:// or wss:// URL")
  })
})
