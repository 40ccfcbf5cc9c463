import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"
import { ChatTarget } from "../../../src/adapters/ChatAdapter.ts"
import type { ChatMessage } from "../../../src/adapters/ChatMessage.ts"
import { recordStatuses } from "../recordStatuses.ts"
import {
  ALICE,
  BOB,
  deliver,
  eventually,
  GENERAL,
  type SlackWorld,
  slackWorld,
  statusReached,
} from "./slackWorld.ts"

const take = (world: SlackWorld, n: number) =>
  Effect.map(
    world.adapter.messages.pipe(Stream.take(n), Stream.runCollect),
    (c) => Chunk.toArray(c) as ChatMessage[],
  )

const connected = (world: SlackWorld) =>
  Effect.gen(function* () {
    yield* world.adapter.connect
    yield* statusReached(world.adapter, "Connected")
  })

const alice = { id: ALICE, displayName: "Alice Liddell", handle: "alice" }
const general = { id: GENERAL, name: "general" }

describe("Slack adapter: inbound", () => {
  it.scopedLive(
    "a leading mention addresses the bot and is stripped; the app_mention twin is not emitted again",
    () =>
      Effect.gen(function* () {
        const world = yield* slackWorld()
        yield* connected(world)
        const event = world.fake.message({ user: ALICE, channel: GENERAL, text: "<@UBOT> st2 run date" })
        yield* deliver(world, event)
        yield* deliver(world, { ...event, type: "app_mention", channel_type: undefined })
        yield* deliver(world, world.fake.message({ user: ALICE, channel: GENERAL, text: "next" }))
        const [first, second] = yield* take(world, 2)
        expect(first).toMatchObject({ text: "st2 run date", mentionsBot: true, user: alice, room: general })
        expect(second).toMatchObject({ text: "next", mentionsBot: false })
      }),
  )

  it.scopedLive("typed text is normalised before the core sees it", () =>
    Effect.gen(function* () {
      const world = yield* slackWorld()
      yield* connected(world)
      yield* deliver(
        world,
        world.fake.message({
          user: ALICE,
          channel: GENERAL,
          text: "!st2 tell <@UBOB> “deploy”\u00a0<http://example.com|example.com> in <#C0GENERAL> &amp; go",
        }),
      )
      const [m] = yield* take(world, 1)
      expect(m!.text).toBe(`!st2 tell @bob "deploy" example.com in #general & go`)
    }),
  )

  it.scopedLive("the bot's own messages, edits, joins and other bots are ignored", () =>
    Effect.gen(function* () {
      const world = yield* slackWorld()
      yield* connected(world)
      const { fake } = world
      yield* deliver(world, fake.message({ user: "UBOT", channel: GENERAL, text: "!st2 mine" }))
      yield* deliver(world, fake.message({ user: ALICE, channel: GENERAL, text: "!st2 b", bot_id: "BBOT" }))
      yield* deliver(
        world,
        fake.message({ user: ALICE, channel: GENERAL, text: "!st2 edit", subtype: "message_changed" }),
      )
      yield* deliver(
        world,
        fake.message({ user: ALICE, channel: GENERAL, text: "joined", subtype: "channel_join" }),
      )
      yield* deliver(
        world,
        fake.message({ user: "UOTHERBOT", channel: GENERAL, text: "!st2 x", subtype: "bot_message" }),
      )
      yield* deliver(world, fake.message({ user: ALICE, channel: GENERAL, text: "!st2 real" }))
      const [m] = yield* take(world, 1)
      expect(m!.text).toBe("!st2 real")
    }),
  )
})

describe("Slack adapter: identity and targets", () => {
  it.scopedLive("a thread round-trips through source_channel and the reply carries thread_ts", () =>
    Effect.gen(function* () {
      const world = yield* slackWorld()
      const { adapter } = world
      yield* connected(world)
      yield* deliver(
        world,
        world.fake.message({ user: ALICE, channel: GENERAL, text: "!st2 x", thread_ts: "1690000000.000200" }),
      )
      const [m] = yield* take(world, 1)
      expect(adapter.roomToSt2(m!.room!, m!.threadId)).toBe("C0GENERAL:1690000000.000200")
      expect(adapter.userToSt2(m!.user)).toBe(ALICE)
      const target = yield* adapter.resolveTarget("C0GENERAL:1690000000.000200")
      yield* adapter.send(target, { text: "threaded" })
      expect(world.posts().at(-1)).toMatchObject({
        method: "chat.postMessage",
        channel: GENERAL,
        thread_ts: "1690000000.000200",
        text: "threaded",
      })
    }),
  )

  it.scopedLive("resolveTarget takes what workflow authors type; unknown names are ChatTargetUnknown", () =>
    Effect.gen(function* () {
      const { adapter } = yield* slackWorld()
      for (const s of ["#general", "general", "<#C0GENERAL|general>", "C0GENERAL"])
        expect(yield* adapter.resolveTarget(s)).toMatchObject({ _tag: "Room", room: general })
      expect(yield* adapter.resolveTarget("#x")).toMatchObject({ _tag: "Room", room: { id: "C0X" } })
      for (const s of ["@alice", "UALICE", "<@UALICE>", "@Alice Liddell"])
        expect(yield* adapter.resolveTarget(s)).toMatchObject({ _tag: "Direct", user: { id: ALICE } })
      expect(yield* adapter.resolveUser("alice")).toMatchObject({ id: ALICE })
      expect(yield* Effect.flip(adapter.resolveTarget("#nope"))).toMatchObject({ _tag: "ChatTargetUnknown" })
      expect(yield* Effect.flip(adapter.resolveTarget("CGONE"))).toMatchObject({ _tag: "ChatTargetUnknown" })
      expect(yield* Effect.flip(adapter.resolveUser("@nobody"))).toMatchObject({ _tag: "ChatTargetUnknown" })
    }),
  )
})

describe("Slack adapter: sending", () => {
  it.scopedLive("a whisper is chat.postEphemeral to that user; someone outside the channel gets a DM", () =>
    Effect.gen(function* () {
      const world = yield* slackWorld()
      const { adapter, fake } = world
      yield* connected(world)
      yield* adapter.send(ChatTarget.ephemeral(general, alice, "1690000000.000300"), { text: "psst" })
      expect(world.posts().at(-1)).toMatchObject({
        method: "chat.postEphemeral",
        channel: GENERAL,
        user: ALICE,
        thread_ts: "1690000000.000300",
        text: "psst",
      })
      fake.addChannel({ id: "C0CLOSED", name: "closed", members: ["UBOT"] })
      yield* adapter.send(ChatTarget.ephemeral({ id: "C0CLOSED", name: "closed" }, alice), { text: "psst 2" })
      expect(world.posts().at(-1)).toMatchObject({
        method: "chat.postMessage",
        channel: "DUALICE",
        text: "psst 2",
      })
    }),
  )

  it.scopedLive(
    "extra.slack: attachment fields, blocks; a malformed or refused rendering still sends the text",
    () =>
      Effect.gen(function* () {
        const world = yield* slackWorld()
        const { adapter, fake } = world
        yield* connected(world)
        const room = ChatTarget.room(general)
        yield* adapter.send(room, {
          text: "deployed",
          extra: {
            slack: { color: "good", title: "web", fields: [{ title: "host", value: "web1", short: true }] },
          },
        })
        expect(world.posts().at(-1)).toMatchObject({
          text: "deployed",
          attachments: [{ color: "good", title: "web", text: "deployed", fallback: "deployed" }],
        })
        const blocks = [{ type: "section", text: { type: "mrkdwn", text: "*deployed*" } }]
        yield* adapter.send(room, { text: "deployed (fallback)", extra: { slack: { blocks } } })
        expect(fake.calls.at(-1)?.params).toMatchObject({ text: "deployed (fallback)" })
        expect(world.posts().at(-1)).toMatchObject({ blocks })

        yield* adapter.send(room, { text: "bad extra", extra: { slack: { blocks: 42, fields: "x" } } })
        expect(world.posts().at(-1)).toMatchObject({
          text: "bad extra",
          attachments: undefined,
          blocks: undefined,
        })

        fake.failNext("chat.postMessage", "invalid_blocks")
        yield* adapter.send(room, {
          text: "refused blocks",
          extra: { slack: { blocks: [{ type: "bogus" }] } },
        })
        expect(world.posts().at(-1)).toMatchObject({ text: "refused blocks", blocks: undefined })
      }),
  )

  it.scopedLive("429 is ChatSendTransient with Retry-After in ms; the client did not retry by itself", () =>
    Effect.gen(function* () {
      const world = yield* slackWorld()
      const { adapter, fake } = world
      yield* connected(world)
      fake.rateLimitNext(3)
      const before = fake.calls.length
      const error = yield* Effect.flip(adapter.send(ChatTarget.room(general), { text: "slow down" }))
      expect(error).toMatchObject({ _tag: "ChatSendTransient", retryAfterMs: 3_000 })
      expect(fake.calls.slice(before).filter((c) => c.method === "chat.postMessage")).toHaveLength(1)
      expect(world.posts()).toEqual([])
    }),
  )

  it.scopedLive("channel_not_found, not_in_channel, is_archived and over-long text are permanent", () =>
    Effect.gen(function* () {
      const world = yield* slackWorld()
      const { adapter, fake } = world
      yield* connected(world)
      fake.addChannel({ id: "C0PRIV", name: "priv", members: [ALICE] })
      fake.addChannel({ id: "C0OLD", name: "old", archived: true })
      const cases: Array<[string, RegExp]> = [
        ["C0GONE", /channel_not_found/],
        ["C0PRIV", /not_in_channel: .*invite/],
        ["C0OLD", /is_archived/],
      ]
      for (const [id, reason] of cases) {
        const error = yield* Effect.flip(adapter.send(ChatTarget.room({ id, name: id }), { text: "hi" }))
        expect(error._tag).toBe("ChatSendPermanent")
        expect(error.reason).toMatch(reason)
      }
      const long = yield* Effect.flip(adapter.send(ChatTarget.room(general), { text: "x".repeat(4_001) }))
      expect(long._tag).toBe("ChatSendPermanent")
    }),
  )

  it.scopedLive("posting needs no open session: results still go out while the socket is down", () =>
    Effect.gen(function* () {
      const world = yield* slackWorld()
      yield* world.adapter.send(ChatTarget.room(general), { text: "before connect" })
      expect(world.posts().at(-1)).toMatchObject({ channel: GENERAL, text: "before connect" })
      expect(world.fake.sockets().opened).toBe(0)
    }),
  )

  it.scopedLive("a DM goes through conversations.open once", () =>
    Effect.gen(function* () {
      const world = yield* slackWorld()
      const { adapter, fake } = world
      yield* connected(world)
      const bob = yield* adapter.resolveUser(BOB)
      yield* adapter.send(ChatTarget.direct(bob), { text: "one" })
      yield* adapter.send(ChatTarget.direct(bob), { text: "two" })
      expect(world.posts().map((p) => [p.channel, p.text])).toEqual([
        ["DUBOB", "one"],
        ["DUBOB", "two"],
      ])
      expect(fake.calls.filter((c) => c.method === "conversations.open")).toHaveLength(1)
    }),
  )
})

describe("Slack adapter: connection", () => {
  it.scopedLive("an invalid bot token is InvalidCredentials, said clearly and without the token", () =>
    Effect.gen(function* () {
      const world = yield* slackWorld({ botToken: "xoxb-wrong-token" })
      yield* world.adapter.connect
      const status = yield* statusReached(world.adapter, "InvalidCredentials")
      expect(status).toMatchObject({ _tag: "InvalidCredentials" })
      const reason = (status as { reason: string }).reason
      expect(reason).toMatch(/invalid_auth/)
      expect(reason).toMatch(/bot token/)
      expect(reason).not.toContain("xoxb-wrong-token")
    }),
  )

  it.scopedLive("an invalid app-level token is InvalidCredentials", () =>
    Effect.gen(function* () {
      const world = yield* slackWorld({ appToken: "xapp-wrong" })
      yield* world.adapter.connect
      const status = yield* statusReached(world.adapter, "InvalidCredentials")
      expect((status as { reason: string }).reason).toMatch(/apps\.connections\.open.*invalid_auth/)
    }),
  )

  it.scopedLive(
    "Slack's disconnect (refresh_requested): Reconnecting with the reason, a new socket, Connected",
    () =>
      Effect.gen(function* () {
        const world = yield* slackWorld()
        const { adapter, fake } = world
        const statuses = yield* recordStatuses(adapter)
        yield* connected(world)
        yield* eventually(() => fake.sockets().open === 1)
        fake.requestReconnect("refresh_requested")
        yield* Effect.promise(() => fake.socketOpened(2))
        yield* eventually(() => statuses.at(-1)?._tag === "Connected" && statuses.length >= 5)
        expect(statuses.map((s) => s._tag)).toEqual([
          "Stopped",
          "Connecting",
          "Connected",
          "Reconnecting",
          "Connected",
        ])
        expect(statuses[3]).toMatchObject({ reason: expect.stringContaining("refresh_requested") })
        yield* deliver(world, fake.message({ user: ALICE, channel: GENERAL, text: "!st2 still here" }))
        expect((yield* take(world, 1))[0]!.text).toBe("!st2 still here")
      }),
  )

  it.scopedLive("closing the scope stops the socket and reports Stopped", () =>
    Effect.gen(function* () {
      const world = yield* slackWorld()
      yield* Effect.scoped(connected(world))
      expect((yield* statusReached(world.adapter, "Stopped"))?._tag).toBe("Stopped")
      yield* eventually(() => world.fake.sockets().open === 0)
    }),
  )
})

describe("Slack adapter: HTTP Events API", () => {
  it.scopedLive("answers url_verification, rejects a bad signature, accepts a signed event", () =>
    Effect.gen(function* () {
      const world = yield* slackWorld({ mode: "http" })
      const { adapter, fake } = world
      yield* connected(world)
      const url = `http://127.0.0.1:${adapter.httpAddress()!.port}/slack/events`
      const challenge = yield* Effect.promise(() => fake.verifyUrl(url, "abc123"))
      expect(challenge.status).toBe(200)
      expect(challenge.body).toContain("abc123")

      const forged = yield* Effect.promise(() =>
        fake.postEvent(url, fake.message({ user: ALICE, channel: GENERAL, text: "!st2 forged" }), {
          secret: "wrong",
        }),
      )
      expect(forged.status).toBe(401)
      const stale = yield* Effect.promise(() =>
        fake.postEvent(url, fake.message({ user: ALICE, channel: GENERAL, text: "!st2 replayed" }), {
          timestamp: Math.floor(Date.now() / 1000) - 3_600,
        }),
      )
      expect(stale.status).toBe(401)
      yield* deliver(world, fake.message({ user: ALICE, channel: GENERAL, text: "!st2 genuine" }))
      const [m] = yield* take(world, 1)
      expect(m!.text).toBe("!st2 genuine")
    }),
  )
})
