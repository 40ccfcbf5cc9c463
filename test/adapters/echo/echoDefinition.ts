import { Effect, type Redacted } from "effect"
import { defineAdapter, optional, secretKeys } from "../../../src/adapters/AdapterDefinition.ts"
import type { AdapterTlsConfig } from "../../../src/adapters/AdapterTls.ts"
import { ChatTarget, type ChatAdapter, type OutboundMessage } from "../../../src/adapters/ChatAdapter.ts"
import { sourceContextOf } from "../../../src/adapters/SourceContext.ts"
import { makeAdapterSessions } from "../../../src/adapters/AdapterSessions.ts"
import { makeAdapterStreams } from "../../../src/adapters/AdapterStreams.ts"
import { Text } from "../../../src/config/configLeaves.ts"

/**
 * A backend written by the recipe of docs/adapters.md, for the tests only: a config type, one
 * definition, an adapter built from the shared helpers. `adapterRecipe.test.ts` adds it to the
 * registry with one line and nothing else.
 */
export type EchoConfig = {
  readonly type: "echo"
  readonly name: string
  readonly greeting: string
  readonly room: string
  readonly password: Redacted.Redacted<string>
  readonly tls: AdapterTlsConfig
}

/** How often `make` ran: the backend's code is loaded only to build an adapter. */
export const echoLoads = { count: 0 }

export const echoDefinition = defineAdapter<EchoConfig, { readonly sent?: OutboundMessage[] }>()({
  type: "echo",
  settings: { greeting: optional(Text), room: optional(Text), ...secretKeys("password") },
  tls: { connections: () => ["the echo server"] },
  decode: (entry, ctx) => {
    const greeting = ctx.setting("greeting", entry.greeting, "hello")
    const password = ctx.secret("password")
    if (password === undefined) ctx.required("password", "for the echo server")
    if (entry.room === undefined) ctx.required("room", "(the room the echo server joins)")
    if (password === undefined || entry.room === undefined) return undefined
    return { greeting, room: ctx.setting("room", entry.room), password }
  },
  show: (c, lines) => {
    lines.value("greeting", c.greeting)
    lines.value("room", c.room)
    lines.secret("password", c.password)
  },
  make: async (c, options) => {
    echoLoads.count++
    return makeEchoAdapter(c, options?.sent ?? [])
  },
})

const makeEchoAdapter = (c: EchoConfig, sent: OutboundMessage[]): ChatAdapter => {
  const streams = makeAdapterStreams()
  const sessions = makeAdapterSessions(streams, {
    open: () => {
      streams.setStatus({ _tag: "Connected" })
      return {}
    },
    close: () => {},
  })
  const user = { id: "u", displayName: "u", handle: "u" }
  return {
    name: c.name,
    kind: "echo",
    limits: { maxMessageLength: 1000, minSendIntervalMs: 0 },
    capabilities: { threads: false, ephemeral: false, richExtra: false },
    connect: sessions.connect,
    status: streams.status,
    messages: streams.messages,
    userToSt2: (u) => u.handle,
    roomToSt2: (r) => r.name,
    resolveTarget: (channel) => Effect.succeed(ChatTarget.room({ id: channel, name: channel })),
    resolveUser: () => Effect.succeed(user),
    sourceContext: (m) => sourceContextOf(c.name, m),
    send: (_target, message) => Effect.sync(() => void sent.push({ text: `${c.greeting}: ${message.text}` })),
  }
}
