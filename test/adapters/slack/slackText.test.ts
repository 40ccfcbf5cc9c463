import { describe, expect, it } from "vitest"
import { normaliseSlackText } from "../../../src/adapters/slack/normaliseSlackText.ts"
import { renderSlackMessage } from "../../../src/adapters/slack/renderSlackMessage.ts"
import { parseSlackAddress, slackRoomToSt2 } from "../../../src/adapters/slack/slackIdentity.ts"

const names = {
  userHandle: (id: string) => ({ UALICE: "alice" })[id],
  channelName: (id: string) => ({ C0OPS: "ops" })[id],
}

describe("normaliseSlackText", () => {
  it.each([
    ["curly quotes", "st2 echo “hello” ‘world’", `st2 echo "hello" 'world'`],
    ["non-breaking spaces", "st2\u00a0run\u202fdate", "st2 run date"],
    ["a link typed as a bare domain", "check <http://example.com|example.com>", "check example.com"],
    [
      "a link typed with its scheme",
      "get <https://example.com/a?b=1&amp;c=2>",
      "get https://example.com/a?b=1&c=2",
    ],
    ["a labelled link whose label is not the URL", "see <https://x.io/run|the run>", "see https://x.io/run"],
    ["a mailto link", "mail <mailto:a@b.io|a@b.io>", "mail a@b.io"],
    ["a known user mention", "ping <@UALICE>", "ping @alice"],
    ["an unknown user mention", "ping <@UNOBODY>", "ping @UNOBODY"],
    ["a channel mention with its name", "in <#C0XYZ|deploys>", "in #deploys"],
    ["a channel mention without a name", "in <#C0OPS>", "in #ops"],
    ["special mentions", "<!here> and <!subteam^S1|@oncall>", "@here and @oncall"],
    ["HTML entities", "a &lt;b&gt; &amp;&amp; c", "a <b> && c"],
    ["an escaped angle bracket never becomes markup", "&lt;@UALICE&gt;", "<@UALICE>"],
  ])("%s", (_label, input, expected) => {
    expect(normaliseSlackText(input, names)).toBe(expected)
  })
})

describe("Slack identity strings", () => {
  it("a thread is the room id and the thread ts", () => {
    expect(slackRoomToSt2({ id: "C0OPS", name: "ops" }, "1700000000.000100")).toBe("C0OPS:1700000000.000100")
    expect(parseSlackAddress("C0OPS:1700000000.000100")).toEqual({
      _tag: "ConversationId",
      id: "C0OPS",
      threadId: "1700000000.000100",
    })
  })

  it.each([
    ["C0OPS", { _tag: "ConversationId", id: "C0OPS" }],
    ["D0DM", { _tag: "ConversationId", id: "D0DM" }],
    ["#ops", { _tag: "ConversationName", name: "ops" }],
    ["ops", { _tag: "ConversationName", name: "ops" }],
    ["#ops:1700000000.000100", { _tag: "ConversationName", name: "ops", threadId: "1700000000.000100" }],
    ["<#C0OPS|ops>", { _tag: "ConversationId", id: "C0OPS" }],
    ["UALICE", { _tag: "UserId", id: "UALICE" }],
    ["@UALICE", { _tag: "UserId", id: "UALICE" }],
    ["<@UALICE>", { _tag: "UserId", id: "UALICE" }],
    ["@alice", { _tag: "UserName", name: "alice" }],
  ])("%s", (input, expected) => {
    expect(parseSlackAddress(input)).toMatchObject(expected)
  })

  it("rooms and people never collide", () => {
    expect(parseSlackAddress("C0ABC")?._tag).toBe("ConversationId")
    expect(parseSlackAddress("U0ABC")?._tag).toBe("UserId")
  })
})

describe("renderSlackMessage", () => {
  it("plain text without extra.slack", () => {
    expect(renderSlackMessage("hi", undefined)).toEqual({ text: "hi" })
    expect(renderSlackMessage("hi", { discord: { embeds: [] } })).toEqual({ text: "hi" })
  })

  it("legacy fields become one attachment carrying the message", () => {
    const out = renderSlackMessage("result", {
      slack: {
        color: "#ff0000",
        pretext: "deploy",
        title: "web",
        title_link: "https://st2/e/1",
        fields: [{ title: "host", value: "web1", short: true }, "junk"],
        image_url: "https://img",
        footer: "st2",
        ts: 1700000000,
        unknown_key: 1,
      },
    })
    expect(out.text).toBeUndefined()
    expect(out.attachments).toEqual([
      {
        color: "#ff0000",
        pretext: "deploy",
        title: "web",
        title_link: "https://st2/e/1",
        image_url: "https://img",
        footer: "st2",
        fields: [{ title: "host", value: "web1", short: true }],
        ts: 1700000000,
        text: "result",
        fallback: "result",
      },
    ])
  })

  it("blocks are Block Kit with the text as fallback, at most 50, section text cut to 3,000", () => {
    const blocks = Array.from({ length: 60 }, (_, i) => ({
      type: "section",
      text: { type: "mrkdwn", text: `b${i}` },
    }))
    blocks[0] = { type: "section", text: { type: "mrkdwn", text: "z".repeat(5_000) } }
    const out = renderSlackMessage("fallback", { slack: { blocks: [...blocks, "junk"] } })
    expect(out.text).toBe("fallback")
    expect(out.blocks).toHaveLength(50)
    expect((out.blocks![0] as { text: { text: string } }).text.text).toHaveLength(3_000)
  })

  it.each([
    ["a string", "nope"],
    ["blocks not an array", { blocks: "x" }],
    ["an array", [1, 2]],
    ["null", null],
  ])("a malformed extra.slack (%s) is plain text", (_label, slack) => {
    expect(renderSlackMessage("still here", { slack })).toEqual({ text: "still here" })
  })
})
