import { Either, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { fastSourceContext, SourceContext } from "../../../src/adapters/SourceContext.ts"
import { fastAliasExecutionResult } from "../../../src/st2/fast/fastAliasExecutionResult.ts"
import { fastAnnouncement } from "../../../src/st2/fast/fastAnnouncement.ts"
import { AliasExecutionResult } from "../../../src/st2/schemas/AliasExecution.ts"
import { Announcement } from "../../../src/st2/streamAnnouncement.ts"

/**
 * Each fast decoder must agree with its Schema: where it answers, the Schema decodes to an equal
 * value; where the Schema rejects, it answers `undefined` (the caller then uses the Schema).
 */
const agrees = <A, I>(
  schema: Schema.Schema<A, I>,
  fast: (u: unknown) => A | undefined,
  samples: unknown[],
) => {
  const decode = Schema.decodeUnknownEither(schema)
  let fastAnswered = 0
  for (const sample of samples) {
    const slow = decode(sample)
    const quick = fast(sample)
    if (Either.isLeft(slow)) expect(quick, JSON.stringify(sample)).toBeUndefined()
    if (quick !== undefined) {
      fastAnswered++
      expect(Either.isRight(slow), JSON.stringify(sample)).toBe(true)
      expect(quick, JSON.stringify(sample)).toEqual(Either.getOrThrow(slow))
    }
  }
  return fastAnswered
}

const context = {
  adapter: "slack",
  messageId: "M1",
  user: { id: "U1", name: "a", handle: "a" },
  isDirect: false,
}

describe("fastAnnouncement", () => {
  it("agrees with the Announcement schema", () => {
    const payloads: unknown[] = [
      { message: "hi", channel: "#ops", user: "alice", whisper: false, extra: { slack: {} }, context },
      { message: "hi", channel: null, user: null, whisper: null, extra: null, context: null },
      { message: "hi" },
      {},
      { message: 1 },
      { message: "x", channel: 5 },
      { message: "x", whisper: "yes" },
      { message: "x", extra: [] },
      { message: "x", context: "c" },
      { message: "x", extra: "e" },
      { message: undefined, channel: undefined },
      null,
      [],
      "payload",
    ]
    const samples: unknown[] = [
      ...payloads.map((payload) => ({ payload, trace_context: { trace_tag: "t" } })),
      ...payloads.map((payload) => ({ payload })),
      ...payloads.map((payload) => ({ payload, trace_context: null, other: 1 })),
      null,
      "x",
      [],
      {},
    ]
    expect(agrees(Announcement, fastAnnouncement, samples)).toBeGreaterThanOrEqual(15)
  })
})

describe("fastAliasExecutionResult", () => {
  it("agrees with the AliasExecutionResult schema", () => {
    const execution = {
      id: "e1",
      status: "requested",
      action: { ref: "core.local", name: "local" },
      web_url: "https://st2/#/history/e1",
      parameters: { cmd: "date" },
      context: { user: "st2admin" },
      runner: { name: "local-shell-cmd" },
    }
    const executions: unknown[] = [
      execution,
      { id: "e1", status: "requested" },
      { id: "e1", status: "requested", web_url: null },
      { id: "e1", status: "requested", action: {} },
      { id: "e1", status: "requested", action: { ref: 1 } },
      { id: "e1", status: "requested", action: "core.local" },
      { id: 1, status: "requested" },
      { id: "e1" },
      { id: "e1", status: "requested", web_url: 3 },
      null,
    ]
    const aliases: unknown[] = [
      undefined,
      { name: "a", pack: "p", ack: { enabled: false } },
      { ack: { format: "f", append_url: false, extra: { slack: {} } } },
      { ack: {} },
      {},
      { ack: { enabled: "no" } },
      { ack: { extra: [] } },
      { ack: null },
      "alias",
    ]
    const samples: unknown[] = []
    for (const e of executions)
      for (const a of aliases)
        for (const rest of [
          {},
          { message: "Running...", extra: { slack: { color: "#fff" } } },
          { message: null, extra: null },
          { message: 5 },
          { extra: "x" },
        ])
          samples.push({ execution: e, ...(a === undefined ? {} : { actionalias: a }), ...rest })
    samples.push(null, [], "x", {})
    expect(agrees(AliasExecutionResult, fastAliasExecutionResult, samples)).toBeGreaterThanOrEqual(50)
  })
})

describe("fastSourceContext", () => {
  it("agrees with the SourceContext schema", () => {
    const user = { id: "U1", name: "Alice", handle: "alice" }
    const room = { id: "C1", name: "ops" }
    const bases: unknown[] = [
      { adapter: "slack", messageId: "M1", user, isDirect: false },
      { adapter: "slack", messageId: "M1", threadId: "T1", room, user, isDirect: false },
      {
        adapter: "slack",
        messageId: "M1",
        room: { ...room, topic: "x" },
        user: { ...user, extra: 1 },
        isDirect: true,
        more: 1,
      },
    ]
    const broken: Array<Record<string, unknown>> = [
      { adapter: 1 },
      { messageId: null },
      { threadId: 5 },
      { threadId: undefined },
      { room: null },
      { room: { id: "C1" } },
      { room: { id: 1, name: "ops" } },
      { room: "C1" },
      { user: null },
      { user: { id: "U1", name: "a" } },
      { user: { id: "U1", name: "a", handle: 3 } },
      { isDirect: "no" },
      { isDirect: undefined },
    ]
    const samples: unknown[] = [...bases]
    for (const base of bases) for (const b of broken) samples.push({ ...(base as object), ...b })
    samples.push(null, [], "x", {}, { trace: 1 })
    expect(agrees(SourceContext, fastSourceContext, samples)).toBeGreaterThanOrEqual(5)
  })
})
