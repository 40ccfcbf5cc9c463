import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"
import { vi } from "vitest"
import { type ChatAdapter, ChatTarget, sourceChannelOf } from "../../../src/adapters/ChatAdapter.ts"
import type { ChatMessage } from "../../../src/adapters/ChatMessage.ts"
import { recordStatuses } from "../recordStatuses.ts"
import { discordWorld, statusReached } from "./discordDriver.ts"

const connected = (adapter: ChatAdapter) =>
  Effect.gen(function* () {
    yield* adapter.connect
    yield* statusReached(adapter, "Connected")
  })

const nextMessage = (adapter: ChatAdapter) =>
  adapter.messages.pipe(
    Stream.take(1),
    Stream.runCollect,
    Effect.map((c) => Chunk.toArray(c)[0] as ChatMessage),
  )

describe("Discord adapter against the fake Discord", () => {
  it.scopedLive(
    "a command typed in a thread reports the parent room and the thread, and replies go into the thread",
    () =>
      Effect.gen(function* () {
        const { fake, adapter, general, thread, alice } = yield* discordWorld()
        yield* connected(adapter)
        yield* Effect.promise(() => fake.say(alice, thread, "!st2 run date on localhost"))
        const message = yield* nextMessage(adapter)
        expect(message).toMatchObject({
          text: "!st2 run date on localhost",
          room: { id: general.id, name: "general" },
          threadId: thread.id,
          isDirect: false,
          mentionsBot: false,
          user: { id: alice.id, handle: "alice" },
        })
        const channel = sourceChannelOf(adapter, message)
        expect(channel).toBe(`<#${general.id}>/${thread.id}`)
        expect(adapter.userToSt2(message.user)).toBe(`<@${alice.id}>`)
        const target = yield* adapter.resolveTarget(channel)
        expect(target).toMatchObject({ _tag: "Room", room: { id: general.id }, threadId: thread.id })
        yield* adapter.send(target, { text: "Running `date`..." })
        expect(fake.posted.at(-1)).toMatchObject({
          channelId: thread.id,
          kind: "thread",
          content: "Running `date`...",
        })
        // A workflow author may name the thread by its own id: it still resolves to the thread.
        expect(yield* adapter.resolveTarget(thread.id)).toMatchObject({
          room: { id: general.id },
          threadId: thread.id,
        })
        expect(yield* adapter.resolveTarget(`<#${thread.id}>`)).toMatchObject({
          room: { id: general.id },
          threadId: thread.id,
        })
      }),
  )

  it.scopedLive("a direct message is answered by DM; a whisper (Ephemeral) goes by DM too", () =>
    Effect.gen(function* () {
      const { fake, adapter, general, alice } = yield* discordWorld()
      yield* connected(adapter)
      yield* Effect.promise(() => fake.say(alice, undefined, "st2 run hostname"))
      const message = yield* nextMessage(adapter)
      expect(message).toMatchObject({
        isDirect: true,
        room: undefined,
        threadId: undefined,
        text: "st2 run hostname",
      })
      const channel = sourceChannelOf(adapter, message)
      expect(channel).toBe(`<@${alice.id}>`)
      const target = yield* adapter.resolveTarget(channel)
      expect(target).toMatchObject({ _tag: "Direct", user: { id: alice.id } })
      yield* adapter.send(target, { text: "done" })
      expect(fake.posted.at(-1)).toMatchObject({ kind: "dm", recipientId: alice.id, content: "done" })
      expect(adapter.capabilities.ephemeral).toBe(false)
      yield* adapter.send(ChatTarget.ephemeral({ id: general.id, name: "general" }, message.user), {
        text: "psst",
      })
      expect(fake.posted.at(-1)).toMatchObject({ kind: "dm", recipientId: alice.id, content: "psst" })
      expect(fake.posted.filter((p) => p.channelId === general.id)).toEqual([])
    }),
  )

  it.scopedLive(
    "a mention of the bot is stripped and reported; other mentions, channels and smart quotes are normalised",
    () =>
      Effect.gen(function* () {
        const { fake, adapter, general, alice } = yield* discordWorld()
        const bob = fake.addUser("bob")
        yield* connected(adapter)
        yield* Effect.promise(() =>
          fake.say(
            alice,
            general,
            `<@${fake.bot.id}> st2 tell <@${bob.id}> in <#${general.id}> \u201Chi\u201D\u00A0now`,
          ),
        )
        const message = yield* nextMessage(adapter)
        expect(message.mentionsBot).toBe(true)
        expect(message.text).toBe('st2 tell @bob in #general "hi" now')
      }),
  )

  it.scopedLive("a channel and a thread created after the bot connected are known by name", () =>
    Effect.gen(function* () {
      const { fake, adapter, alice } = yield* discordWorld()
      yield* connected(adapter)
      const incidents = fake.addChannel("incidents")
      const thread = fake.addThread(incidents, "sev1")
      yield* Effect.promise(() => fake.say(alice, thread, "!st2 run uptime"))
      const message = yield* nextMessage(adapter)
      expect(message).toMatchObject({ room: { id: incidents.id, name: "incidents" }, threadId: thread.id })
      expect(yield* adapter.resolveTarget("#sev1")).toMatchObject({
        room: { id: incidents.id },
        threadId: thread.id,
      })
    }),
  )

  it.scopedLive("messages from bots, the bot itself included, are not emitted", () =>
    Effect.gen(function* () {
      const { fake, adapter, general, alice } = yield* discordWorld()
      const otherBot = fake.addUser("otherbot", { bot: true })
      yield* connected(adapter)
      yield* Effect.promise(() => fake.say(otherBot, general, "!st2 run rm -rf /"))
      yield* Effect.promise(() => fake.say(fake.bot, general, "!st2 run date"))
      yield* Effect.promise(() => fake.say(alice, general, "!st2 run uptime"))
      expect((yield* nextMessage(adapter)).text).toBe("!st2 run uptime")
    }),
  )

  it.scopedLive("workflow authors' channel strings: #name, a raw channel id, a raw user id, @username", () =>
    Effect.gen(function* () {
      const { fake, adapter, general, alice } = yield* discordWorld()
      yield* connected(adapter)
      yield* Effect.promise(() => fake.say(alice, general, "hello"))
      yield* nextMessage(adapter)
      expect(yield* adapter.resolveTarget("#general")).toMatchObject({
        _tag: "Room",
        room: { id: general.id },
      })
      expect(yield* adapter.resolveTarget(general.id)).toMatchObject({
        _tag: "Room",
        room: { id: general.id },
      })
      expect(yield* adapter.resolveTarget(alice.id)).toMatchObject({ _tag: "Direct", user: { id: alice.id } })
      expect(yield* adapter.resolveTarget("@alice")).toMatchObject({ _tag: "Direct", user: { id: alice.id } })
      expect(yield* adapter.resolveUser("alice")).toMatchObject({ id: alice.id, handle: "alice" })
      expect(yield* adapter.resolveUser(`<@!${alice.id}>`)).toMatchObject({ id: alice.id })
      const missing = yield* Effect.flip(adapter.resolveTarget("#nowhere"))
      expect(missing._tag).toBe("ChatTargetUnknown")
      expect(missing.reason).toContain("#nowhere")
      expect((yield* Effect.flip(adapter.resolveTarget("123456789"))).reason).toContain(
        "no Discord channel or user",
      )
    }),
  )

  it.scopedLive(
    "extra.discord embeds are rendered with the text as content; a malformed extra still sends the text",
    () =>
      Effect.gen(function* () {
        const { fake, adapter, general } = yield* discordWorld()
        yield* connected(adapter)
        const room = yield* adapter.resolveTarget(`<#${general.id}>`)
        const embed = {
          title: "deploy",
          description: "web to prod",
          color: 0x00ff00,
          fields: [{ name: "status", value: "ok" }],
        }
        yield* adapter.send(room, {
          text: "deploy finished",
          extra: { discord: { embeds: [embed] }, slack: { x: 1 } },
        })
        expect(fake.posted.at(-1)).toMatchObject({ content: "deploy finished", embeds: [embed] })

        for (const bad of [
          { embeds: "nope" },
          { embeds: [{ color: "green", title: "x" }] },
          42,
          { embeds: [{}] },
        ]) {
          yield* adapter.send(room, { text: "still here", extra: { discord: bad } })
          expect(fake.posted.at(-1)).toMatchObject({ content: "still here", embeds: [] })
        }
        // Embeds that look fine but Discord refuses (400 Invalid Form Body): the text goes alone.
        fake.rejectEmbeds(true)
        yield* adapter.send(room, { text: "refused embed", extra: { discord: { embeds: [embed] } } })
        expect(fake.posted.at(-1)).toMatchObject({ content: "refused embed", embeds: [] })
      }),
  )

  it.scopedLive("2000 characters go in one message; more is a permanent failure and nothing is posted", () =>
    Effect.gen(function* () {
      const { fake, adapter, general } = yield* discordWorld()
      yield* connected(adapter)
      expect(adapter.limits.maxMessageLength).toBe(2000)
      const room = yield* adapter.resolveTarget(`<#${general.id}>`)
      yield* adapter.send(room, { text: "a".repeat(2000) })
      expect(fake.posted.at(-1)?.content).toHaveLength(2000)
      const before = fake.posted.length
      const error = yield* Effect.flip(adapter.send(room, { text: "a".repeat(2001) }))
      expect(error._tag).toBe("ChatSendPermanent")
      expect(fake.posted).toHaveLength(before)
    }),
  )

  it.scopedLive(
    "a 429 is ChatSendTransient with Discord's retry_after; while the bucket is empty later sends wait too",
    () =>
      Effect.gen(function* () {
        const { fake, adapter, general } = yield* discordWorld()
        yield* connected(adapter)
        const room = yield* adapter.resolveTarget(`<#${general.id}>`)
        // The first answer tells discord.js the route's bucket (Discord sends its headers every time).
        yield* adapter.send(room, { text: "first" })
        fake.rateLimitNext(30_000)
        const error = yield* Effect.flip(adapter.send(room, { text: "too fast" }))
        expect(error).toMatchObject({ _tag: "ChatSendTransient" })
        expect(error._tag === "ChatSendTransient" && error.retryAfterMs).toBeGreaterThanOrEqual(30_000)
        expect(fake.posted.map((p) => p.content)).not.toContain("too fast")
        // discord.js remembers the empty bucket: a later send is not let through ahead of the retry.
        const later = yield* Effect.flip(adapter.send(room, { text: "later" }))
        expect(later).toMatchObject({ _tag: "ChatSendTransient" })
        expect(fake.posted.map((p) => p.content)).not.toContain("later")
      }),
  )

  it.scopedLive(
    "a short rate-limit wait is absorbed by discord.js: the send succeeds after Retry-After",
    () =>
      Effect.gen(function* () {
        const { fake, adapter, general } = yield* discordWorld({ rateLimitWaitMs: 5_000 })
        yield* connected(adapter)
        const room = yield* adapter.resolveTarget(`<#${general.id}>`)
        fake.rateLimitNext(100)
        yield* adapter.send(room, { text: "patient" })
        expect(fake.posted.at(-1)?.content).toBe("patient")
        expect(
          fake.requests.filter((r) => r.startsWith(`POST /api/v10/channels/${general.id}/messages`)),
        ).toHaveLength(2)
      }),
  )

  it.scopedLive(
    "an unknown channel, missing access and a 5xx map to permanent, permanent and transient",
    () =>
      Effect.gen(function* () {
        const { fake, adapter, general } = yield* discordWorld()
        const secret = fake.addChannel("secret")
        yield* connected(adapter)
        const unknownRoom = yield* adapter.resolveTarget("<#424242424242>")
        const unknown = yield* Effect.flip(adapter.send(unknownRoom, { text: "hi" }))
        expect(unknown).toMatchObject({ _tag: "ChatSendPermanent" })
        expect(unknown.reason).toContain("10003")
        fake.forbid(secret)
        const forbidden = yield* Effect.flip(
          adapter.send(ChatTarget.room({ id: secret.id, name: "secret" }), { text: "hi" }),
        )
        expect(forbidden).toMatchObject({ _tag: "ChatSendPermanent" })
        expect(forbidden.reason).toContain("50001")
        const room = yield* adapter.resolveTarget(`<#${general.id}>`)
        fake.failNextPost(403, { code: 50013, message: "Missing Permissions" })
        expect((yield* Effect.flip(adapter.send(room, { text: "hi" }))).reason).toContain("Send Messages")
        fake.failNextPost(502, { code: 0, message: "Bad Gateway" })
        fake.failNextPost(502, { code: 0, message: "Bad Gateway" })
        expect(yield* Effect.flip(adapter.send(room, { text: "hi" }))).toMatchObject({
          _tag: "ChatSendTransient",
        })
      }),
  )

  it.scopedLive("a token Discord's REST API rejects (401) is InvalidCredentials, reported clearly", () =>
    Effect.gen(function* () {
      const { adapter } = yield* discordWorld({ token: "not-the-token" })
      yield* adapter.connect
      yield* statusReached(adapter, "InvalidCredentials")
      const statuses = yield* recordStatuses(adapter)
      expect(statuses.at(-1)).toMatchObject({ _tag: "InvalidCredentials" })
      const last = statuses.at(-1)
      const reason = last?._tag === "InvalidCredentials" ? last.reason : ""
      expect(reason).toContain("rejected the bot token")
      expect(reason).not.toContain("not-the-token")
      // Sends fail at once, transiently (the connection machine owns retrying).
      const send = yield* Effect.flip(adapter.send(ChatTarget.room({ id: "x", name: "x" }), { text: "hi" }))
      expect(send).toMatchObject({ _tag: "ChatSendTransient" })
      expect(send.reason).toContain("rejected the bot token")
    }),
  )

  it.scopedLive("a token the gateway rejects (close 4004) is InvalidCredentials", () =>
    Effect.gen(function* () {
      const { fake, adapter } = yield* discordWorld()
      fake.rejectGatewayToken()
      yield* adapter.connect
      const status = yield* statusReached(adapter, "InvalidCredentials")
      expect(JSON.stringify(status)).toContain("4004")
      expect(fake.stats().identifies).toBe(1)
    }),
  )

  it.scopedLive(
    "a dropped gateway connection is Reconnecting, then resumed: Connected, and messages flow again",
    () =>
      Effect.gen(function* () {
        const { fake, adapter, general, alice } = yield* discordWorld()
        yield* connected(adapter)
        const statuses = yield* recordStatuses(adapter)
        fake.dropConnection()
        yield* statusReached(adapter, "Reconnecting")
        yield* statusReached(adapter, "Connected")
        expect(statuses.map((s) => s._tag)).toEqual(["Connected", "Reconnecting", "Connected"])
        expect(fake.stats().resumes).toBe(1)
        expect(fake.stats().identifies).toBe(1)
        yield* Effect.promise(() => fake.say(alice, general, "!st2 after the drop"))
        expect((yield* nextMessage(adapter)).text).toBe("!st2 after the drop")
        // Discord asking for a reconnect (op 7) resumes too.
        fake.requestReconnect()
        yield* Effect.promise(() => vi.waitFor(() => expect(fake.stats().resumes).toBe(2)))
        yield* statusReached(adapter, "Connected")
      }),
  )

  it.scopedLive(
    "closing the scope reports Stopped and leaves no gateway socket open; connect works again",
    () =>
      Effect.gen(function* () {
        const { fake, adapter, general, alice } = yield* discordWorld()
        yield* Effect.scoped(connected(adapter))
        expect(yield* statusReached(adapter, "Stopped")).toBeDefined()
        yield* Effect.promise(() => vi.waitFor(() => expect(fake.stats().open).toBe(0)))
        yield* connected(adapter)
        yield* Effect.promise(() => fake.say(alice, general, "again"))
        expect((yield* nextMessage(adapter)).text).toBe("again")
        expect(fake.stats().identifies).toBe(2)
      }),
  )
})
