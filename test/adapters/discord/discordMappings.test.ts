import { DiscordjsError, DiscordjsErrorCodes } from "discord.js"
import { describe, expect, it } from "vitest"
import {
  statusOfGatewayClose,
  statusOfLoginError,
} from "../../../src/adapters/discord/discordConnectionStatus.ts"
import {
  discordRoomString,
  discordUserString,
  parseDiscordAddress,
} from "../../../src/adapters/discord/discordIdentity.ts"
import { discordPayload } from "../../../src/adapters/discord/discordMessagePayload.ts"
import { normalizeDiscordText } from "../../../src/adapters/discord/normalizeDiscordText.ts"

describe("Discord identity strings", () => {
  it("our strings parse back to what they were built from; users and channels never collide", () => {
    expect(parseDiscordAddress(discordUserString("42"))).toEqual({ _tag: "User", id: "42" })
    expect(parseDiscordAddress(discordRoomString("7"))).toEqual({
      _tag: "Channel",
      id: "7",
      threadId: undefined,
    })
    expect(parseDiscordAddress(discordRoomString("7", "8"))).toEqual({
      _tag: "Channel",
      id: "7",
      threadId: "8",
    })
  })
  it("reads what workflow authors type", () => {
    expect(parseDiscordAddress("<@!42>")).toEqual({ _tag: "User", id: "42" })
    expect(parseDiscordAddress("123456789012345678")).toEqual({ _tag: "Snowflake", id: "123456789012345678" })
    expect(parseDiscordAddress("#ops")).toEqual({ _tag: "ChannelName", name: "ops" })
    expect(parseDiscordAddress("@alice")).toEqual({ _tag: "UserName", name: "alice" })
    expect(parseDiscordAddress("ops")).toEqual({ _tag: "Name", name: "ops" })
    expect(parseDiscordAddress("  ")).toBeUndefined()
  })
})

describe("normalizeDiscordText", () => {
  const names = {
    botId: "1",
    userName: (id: string) => ({ "1": "stormbot", "2": "bob" })[id],
    channelName: (id: string) => ({ "3": "ops" })[id],
    roleName: (id: string) => ({ "4": "oncall" })[id],
  }
  it("strips a leading bot mention (either form) and reports it", () => {
    expect(normalizeDiscordText("<@1> st2 run date", names)).toEqual({
      text: "st2 run date",
      mentionsBot: true,
    })
    expect(normalizeDiscordText("<@!1>, st2 run date", names)).toEqual({
      text: "st2 run date",
      mentionsBot: true,
    })
    expect(normalizeDiscordText("!st2 run date", names).mentionsBot).toBe(false)
  })
  it("makes mentions, channels, roles, emoji, quotes and spaces readable", () => {
    expect(
      normalizeDiscordText("!st2 page <@2> <@&4> in <#3> <:ok:99> \u2018x\u2019\u00A0y <@555>", names).text,
    ).toBe("!st2 page @bob @oncall in #ops :ok: 'x' y @555")
  })
})

describe("discordPayload", () => {
  it("the text is always the content; good embeds go along", () => {
    const embed = { title: "t", fields: [{ name: "a", value: "b", inline: true }] }
    expect(discordPayload("hi", { discord: { embeds: [embed] } }).payload).toMatchObject({
      content: "hi",
      embeds: [embed],
    })
    expect(discordPayload("hi", { discord: { embed } }).payload.embeds).toEqual([embed])
    expect(discordPayload("hi", { slack: {} })).toEqual({
      payload: { content: "hi", allowedMentions: { parse: ["users"] } },
    })
  })
  it("drops what Discord would reject, saying why", () => {
    const cases: Array<[unknown, string]> = [
      [[1], "not an object"],
      [{ embeds: Array.from({ length: 11 }, () => ({ title: "t" })) }, "at most 10"],
      [{ embeds: [{ title: "x".repeat(257) }] }, "`title` has 257 characters"],
      [{ embeds: [{ fields: [{ name: "a" }] }] }, "non-empty `name` and `value`"],
      [{ embeds: [{ color: 0x1000000, title: "t" }] }, "`color`"],
      [{ embeds: [{ description: "d".repeat(4000) }, { description: "d".repeat(2001) }] }, "at most 6000"],
    ]
    for (const [extra, why] of cases) {
      const { payload, dropped } = discordPayload("text", { discord: extra })
      expect(payload).toEqual({ content: "text", allowedMentions: { parse: ["users"] } })
      expect(dropped).toContain(why)
    }
  })
})

/** discord.js builds these itself (the constructor is private in its types). */
const discordjsError = (code: string): Error =>
  new (DiscordjsError as unknown as new (code: string) => Error)(code)

describe("Discord connection statuses", () => {
  it("4004 and 4014 are invalid credentials saying what to fix; resumable closes are Reconnecting", () => {
    expect(statusOfGatewayClose(4004)).toMatchObject({ _tag: "InvalidCredentials" })
    expect(JSON.stringify(statusOfGatewayClose(4014))).toContain("Message Content Intent")
    expect(statusOfGatewayClose(4013)).toMatchObject({ _tag: "Disconnected" })
    expect(statusOfGatewayClose(1006)).toMatchObject({ _tag: "Reconnecting" })
  })
  it("login failures: a rejected or missing token is invalid credentials, anything else Disconnected", () => {
    expect(statusOfLoginError(discordjsError(DiscordjsErrorCodes.TokenInvalid))).toMatchObject({
      _tag: "InvalidCredentials",
    })
    expect(statusOfLoginError(discordjsError(DiscordjsErrorCodes.TokenMissing))).toMatchObject({
      _tag: "InvalidCredentials",
    })
    expect(statusOfLoginError(new Error("connect ECONNREFUSED 127.0.0.1:1"))).toMatchObject({
      _tag: "Disconnected",
      reason: "could not connect to Discord: connect ECONNREFUSED 127.0.0.1:1",
    })
  })
})
