import * as os from "node:os"
import * as readline from "node:readline"
import type { Readable, Writable } from "node:stream"
import { Effect, Runtime, Stream } from "effect"
import { makeAdapterSessions } from "../AdapterSessions.ts"
import { makeAdapterStreams } from "../AdapterStreams.ts"
import { type ChatAdapter, ChatTarget } from "../ChatAdapter.ts"
import type { ChatMessage, ChatRoom, ChatUser } from "../ChatMessage.ts"
import { sourceContextOf } from "../SourceContext.ts"
import { renderExtraAsText } from "./renderExtraAsText.ts"

export interface TextAdapterOptions {
  /** Instance name (default `terminal`). */
  readonly name?: string
  /** Where lines are read from (default stdin). */
  readonly input?: Readable
  /** Where chat goes (default stdout). Logs never go here. */
  readonly output?: Writable
  /** The local user (default the OS user name). */
  readonly username?: string
  /** What replies are prefixed with (default `stormbot`). */
  readonly botName?: string
  /**
   * Prompt and redraw for a human at a terminal. Default: both input and output are TTYs.
   * Off, every input line is read as it comes (piped stdin) and nothing but chat is printed.
   */
  readonly interactive?: boolean
}

/** The terminal's only room. Its `source_channel` is `terminal`. */
export const TERMINAL_ROOM: ChatRoom = { id: "terminal", name: "terminal" }

/**
 * The terminal chat. Each input line is a message from the local user in room `terminal`
 * (blank lines are skipped). At end of input (piped stdin exhausted, Ctrl-D) `messages` ends
 * and the status becomes `Stopped { inputEnded }`, so the app can wait for outstanding results
 * and exit. Replies are printed as `stormbot> text`, continuation lines indented under the
 * first; private messages as `stormbot (private to alice)> ...`; other rooms a workflow posts to
 * as `stormbot [#ops]> ...`. `extra` is shown as plain text under the message.
 *
 * Identity: `user` is the user name; `source_channel` is the room name (`terminal`); any
 * channel string resolves to a room of that name, except the local user name, which is a direct
 * message. No threads, no ephemeral messages, no size limit to speak of.
 *
 * When the output goes away (its reader left: `stormbot demo | head -1`, a closed terminal; a
 * write fails with EPIPE), nobody can read the chat any more: the adapter stops reading input
 * (lines not yet handed to the bot included), ends `messages` as at end of input, logs one
 * warning, and drops every reply from then on (no error per message).
 */
export const makeTextAdapter = (options: TextAdapterOptions = {}): ChatAdapter => {
  const name = options.name ?? "terminal"
  const input = options.input ?? process.stdin
  const output = options.output ?? process.stdout
  const username = options.username ?? safeUsername()
  const botName = options.botName ?? "stormbot"
  const interactive =
    options.interactive ??
    ((input as { isTTY?: boolean }).isTTY === true && (output as { isTTY?: boolean }).isTTY === true)
  const localUser: ChatUser = { id: username, displayName: username, handle: username }
  const streams = makeAdapterStreams()
  let nextId = 1
  let rl: readline.Interface | undefined
  /** Why the output cannot be written any more (the reader went away), once it happened. */
  let outputGone: string | undefined
  let watchingOutput = false

  const write = (text: string): void => {
    if (interactive && rl !== undefined) {
      readline.clearLine(output, 0)
      readline.cursorTo(output, 0)
      output.write(text)
      rl.prompt(true)
    } else {
      output.write(text)
    }
  }

  const open = (runtime: Runtime.Runtime<never>) => {
    // A reader that went away (`stormbot start | head -1`, a closed terminal) makes a write fail
    // with EPIPE as an 'error' event, which would crash the process. Nobody can read the chat
    // any more: stop reading and end the input as at its end, say so once, and drop later
    // replies. Kept for the adapter's life, since results are still written after the input ended.
    if (!watchingOutput) {
      watchingOutput = true
      output.on("error", (e: Error) => {
        if (outputGone !== undefined) return
        outputGone = e.message
        rl?.close()
        streams.endMessages()
        Runtime.runFork(runtime)(
          Effect.logWarning(
            `the terminal's output is closed (${e.message}): stopped reading input; replies from now on are dropped`,
          ).pipe(Effect.annotateLogs("adapter", name)),
        )
      })
    }
    const session = readline.createInterface({
      input,
      ...(interactive ? { output, terminal: true, prompt: `${username}> ` } : {}),
      crlfDelay: Number.POSITIVE_INFINITY,
    })
    let releasing = false
    session.on("line", (line) => {
      // readline hands out the rest of a chunk's lines even after `close`.
      if (outputGone !== undefined) return
      if (line.trim() === "") {
        if (interactive) session.prompt()
        return
      }
      const message: ChatMessage = {
        id: `${name}-${nextId++}`,
        text: line,
        user: localUser,
        room: TERMINAL_ROOM,
        threadId: undefined,
        isDirect: false,
        mentionsBot: false,
        raw: { line },
      }
      streams.pushMessage(message)
    })
    // In raw mode readline swallows Ctrl-C; hand it to the process so the app's SIGINT
    // shutdown (stop taking messages, drain, exit 0) runs as it would outside a TTY.
    if (interactive) session.on("SIGINT", () => process.kill(process.pid, "SIGINT"))
    session.on("close", () => {
      rl = undefined
      if (releasing) return
      streams.endMessages()
      streams.setStatus({ _tag: "Stopped", reason: "inputEnded" })
    })
    rl = session
    streams.setStatus({ _tag: "Connected" })
    if (interactive) session.prompt()
    return {
      close: () => {
        releasing = true
        session.close()
      },
    }
  }
  const sessions = makeAdapterSessions(streams, { open, close: (session) => session.close() })

  return {
    name,
    kind: "text",
    limits: { maxMessageLength: 1_000_000, minSendIntervalMs: 0 },
    capabilities: { threads: false, ephemeral: false, richExtra: false },
    connect: sessions.connect,
    status: streams.status,
    // Lines read but not yet taken by the bot when the output went away are not commands any more.
    messages: Stream.takeWhile(streams.messages, () => outputGone === undefined),
    userToSt2: (user) => user.handle,
    roomToSt2: (room) => room.name,
    resolveTarget: (channel) =>
      Effect.sync(() => {
        const bare = channel.replace(/^[#@]/, "")
        if (channel.startsWith("@") || (bare === username && bare !== TERMINAL_ROOM.name)) {
          return ChatTarget.direct(
            bare === username ? localUser : { id: bare, displayName: bare, handle: bare },
          )
        }
        return ChatTarget.room(bare === TERMINAL_ROOM.name ? TERMINAL_ROOM : { id: bare, name: bare })
      }),
    resolveUser: (user) =>
      Effect.sync(() => {
        const bare = user.replace(/^@/, "")
        return bare === username ? localUser : { id: bare, displayName: bare, handle: bare }
      }),
    sourceContext: (message) => sourceContextOf(name, message),
    send: (target, message) =>
      Effect.suspend(() => {
        // Dropped: the one log line said so when the output closed.
        if (outputGone !== undefined) return Effect.void
        const head = `${botName}${label(target)}> `
        const body = [message.text, ...renderExtraAsText(message.extra)].join("\n")
        const indent = " ".repeat(head.length)
        write(head + body.split("\n").join(`\n${indent}`) + "\n")
        return Effect.void
      }),
  }
}

const label = (target: ChatTarget): string => {
  switch (target._tag) {
    case "Room":
      return target.room.id === TERMINAL_ROOM.id ? "" : ` [#${target.room.name}]`
    case "Direct":
    case "Ephemeral":
      return ` (private to ${target.user.handle})`
  }
}

const safeUsername = (): string => {
  try {
    return os.userInfo().username
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? "user"
  }
}
