import { spawn } from "node:child_process"
import { once } from "node:events"
import { PassThrough } from "node:stream"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, HashMap, Logger, Stream } from "effect"
import { ChatTarget, sourceChannelOf } from "../../src/adapters/ChatAdapter.ts"
import { makeTextAdapter, TERMINAL_ROOM } from "../../src/adapters/text/TextAdapter.ts"
import { recordStatuses } from "./recordStatuses.ts"

const terminal = () => {
  const input = new PassThrough()
  const output = new PassThrough()
  let printed = ""
  output.on("data", (b: Buffer) => {
    printed += b.toString("utf8")
  })
  const adapter = makeTextAdapter({ input, output, username: "alice", interactive: false })
  return { adapter, input, printed: () => printed }
}

describe("TextAdapter", () => {
  it.scopedLive("reads every piped line as a message from the local user in room terminal, then ends", () =>
    Effect.gen(function* () {
      const { adapter, input } = terminal()
      const statuses = yield* recordStatuses(adapter)
      yield* adapter.connect
      input.end("!st2help\n\n  \n!st2 run date on localhost\r\nlast line without newline")
      const messages = Chunk.toArray(yield* Stream.runCollect(adapter.messages))
      expect(messages.map((m) => m.text)).toEqual([
        "!st2help",
        "!st2 run date on localhost",
        "last line without newline",
      ])
      const first = messages[0]!
      expect(first.user).toEqual({ id: "alice", displayName: "alice", handle: "alice" })
      expect(first.room).toEqual(TERMINAL_ROOM)
      expect(first.isDirect).toBe(false)
      expect(first.threadId).toBeUndefined()
      expect(new Set(messages.map((m) => m.id)).size).toBe(3)
      expect(adapter.userToSt2(first.user)).toBe("alice")
      expect(sourceChannelOf(adapter, first)).toBe("terminal")
      expect(adapter.sourceContext(first)).toEqual({
        adapter: "terminal",
        messageId: first.id,
        room: { id: "terminal", name: "terminal" },
        user: { id: "alice", name: "alice", handle: "alice" },
        isDirect: false,
      })
      yield* Effect.yieldNow()
      expect(statuses).toEqual([
        { _tag: "Stopped", reason: "closed" }, // before connecting
        { _tag: "Connecting" },
        { _tag: "Connected" },
        { _tag: "Stopped", reason: "inputEnded" },
      ])
    }),
  )

  it.scopedLive("prints replies to its output: prefixed, continuation lines indented, private marked", () =>
    Effect.gen(function* () {
      const { adapter, printed } = terminal()
      yield* adapter.send(ChatTarget.room(TERMINAL_ROOM), { text: "hello" })
      yield* adapter.send(ChatTarget.room(TERMINAL_ROOM), { text: "line 1\nline 2" })
      const bob = yield* adapter.resolveUser("bob")
      yield* adapter.send(ChatTarget.direct(bob), { text: "secret" })
      yield* adapter.send(ChatTarget.ephemeral(TERMINAL_ROOM, bob), { text: "also secret" })
      const ops = yield* adapter.resolveTarget("#ops")
      yield* adapter.send(ops, { text: "to ops" })
      expect(printed()).toBe(
        [
          "stormbot> hello",
          "stormbot> line 1",
          "          line 2",
          "stormbot (private to bob)> secret",
          "stormbot (private to bob)> also secret",
          "stormbot [#ops]> to ops",
          "",
        ].join("\n"),
      )
    }),
  )

  it.scopedLive("renders extra as plain text under the message", () =>
    Effect.gen(function* () {
      const { adapter, printed } = terminal()
      yield* adapter.send(ChatTarget.room(TERMINAL_ROOM), {
        text: "JIRA-1 created",
        extra: {
          slack: { attachments: [{ title: "JIRA-1", fields: [{ title: "Status", value: "Open" }] }] },
          discord: "not an object",
        },
      })
      expect(printed()).toBe("stormbot> JIRA-1 created\n          JIRA-1\n          Status: Open\n")
    }),
  )

  it.effect("resolves st2's strings back to the terminal, the local user, other rooms and people", () =>
    Effect.gen(function* () {
      const { adapter } = terminal()
      expect(yield* adapter.resolveTarget("terminal")).toEqual(ChatTarget.room(TERMINAL_ROOM))
      expect(yield* adapter.resolveTarget("alice")).toMatchObject({ _tag: "Direct", user: { id: "alice" } })
      expect(yield* adapter.resolveTarget("@bob")).toMatchObject({ _tag: "Direct", user: { handle: "bob" } })
      expect(yield* adapter.resolveTarget("#ops")).toMatchObject({ _tag: "Room", room: { name: "ops" } })
      expect(yield* adapter.resolveUser("@alice")).toEqual({
        id: "alice",
        displayName: "alice",
        handle: "alice",
      })
    }),
  )

  it.scopedLive("closing the session scope stops reading without ending the message stream", () =>
    Effect.gen(function* () {
      const { adapter, input } = terminal()
      const statuses = yield* recordStatuses(adapter)
      yield* Effect.scoped(adapter.connect)
      input.write("after close\n")
      yield* Effect.yieldNow()
      expect(statuses.at(-1)).toEqual({ _tag: "Stopped", reason: "closed" })
      expect(input.listenerCount("data")).toBe(0)
    }),
  )
  it.scopedLive("on a terminal, prompts, and redraws the prompt after a reply", () =>
    Effect.gen(function* () {
      const input = new PassThrough()
      const output = new PassThrough()
      let printed = ""
      output.on("data", (b: Buffer) => {
        printed += b.toString("utf8")
      })
      const adapter = makeTextAdapter({ input, output, username: "alice", interactive: true })
      yield* adapter.connect
      expect(printed).toContain("alice> ")
      printed = ""
      yield* adapter.send(ChatTarget.room(TERMINAL_ROOM), { text: "done" })
      // the half-typed line is cleared, the reply printed, the prompt drawn again
      expect(printed).toMatch(/stormbot> done\n.*alice> \u001b\[\d+G$/s)
    }),
  )

  it.scopedLive(
    "output closed by its reader (a real pipe, EPIPE): stops reading, ends the input, one log line, replies dropped",
    () => {
      const logs: Array<{ level: string; message: string; adapter: unknown }> = []
      const logger = Logger.make(({ logLevel, message, annotations }) =>
        logs.push({
          level: logLevel.label,
          message: Array.isArray(message) ? message.join(" ") : String(message),
          adapter: HashMap.get(annotations, "adapter").pipe((o) => (o._tag === "Some" ? o.value : undefined)),
        }),
      )
      return Effect.gen(function* () {
        // `stormbot demo | head -1`: the reader takes one line and leaves. `head` runs under a
        // shell that closed its own end and stays (Node destroys a child's stdin when the child
        // exits), so the pipe is closed by its reader only, as at a shell prompt.
        const reader = yield* Effect.acquireRelease(
          Effect.sync(() =>
            spawn("sh", ["-c", "head -n 1 <&0 >/dev/null & exec <&-; wait; echo gone >&2; sleep 60"], {
              stdio: ["pipe", "ignore", "pipe"],
            }),
          ),
          (child) => Effect.sync(() => child.kill()),
        )
        const exited = once(reader.stderr!, "data")
        const input = new PassThrough()
        const adapter = makeTextAdapter({
          input,
          output: reader.stdin!,
          username: "alice",
          interactive: false,
        })
        const statuses = yield* recordStatuses(adapter)
        const read = yield* Effect.fork(Stream.runCollect(adapter.messages))
        yield* adapter.connect
        input.write("!st2 first\n")
        const room = ChatTarget.room(TERMINAL_ROOM)
        yield* adapter.send(room, { text: "the line head reads" })
        yield* Effect.promise(() => exited)
        // The next write meets the closed pipe.
        yield* adapter.send(room, { text: "nobody reads this" })
        const messages = Chunk.toArray(yield* Fiber.join(read))
        expect(messages.map((m) => m.text)).toEqual(["!st2 first"])
        expect(statuses.at(-1)).toEqual({ _tag: "Stopped", reason: "inputEnded" })
        // Input after that is not read; replies are dropped without an error each.
        input.write("!st2 second\n")
        for (let i = 0; i < 5; i++) yield* adapter.send(room, { text: `reply ${i}` })
        yield* Effect.yieldNow()
        expect(input.listenerCount("data")).toBe(0)
        expect(logs).toEqual([
          {
            level: "WARN",
            message: expect.stringMatching(
              /^the terminal's output is closed \(write EPIPE\): stopped reading input; replies from now on are dropped$/,
            ),
            adapter: "terminal",
          },
        ])
      }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
    },
  )
})
