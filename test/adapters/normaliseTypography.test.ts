import { describe, expect, it } from "vitest"
import { normalizeDiscordText } from "../../src/adapters/discord/normalizeDiscordText.ts"
import { normaliseTypography } from "../../src/adapters/normaliseTypography.ts"
import { normaliseSlackText } from "../../src/adapters/slack/normaliseSlackText.ts"

/** Each kind of substitution a chat client makes, and what the person typed. */
const SAMPLES: ReadonlyArray<readonly [string, string, string]> = [
  ["curly and low single quotes, primes", "\u2018a\u2019 \u201Ab\u201B c\u2032", "'a' 'b' c'"],
  ["curly and low double quotes", "\u201Ca\u201D \u201Eb\u201F c\u2033", `"a" "b" c"`],
  ["typographic spaces", "a\u00A0b\u2002c\u2007d\u2009e\u202Ff\u205Fg\u3000h", "a b c d e f g h"],
  ["zero-width characters", "st\u200B2 r\u200Cu\u200Dn\uFEFF date", "st2 run date"],
]

describe("normaliseTypography, shared by the adapters", () => {
  it.each(SAMPLES)("%s", (_label, typed, plain) => {
    expect(normaliseTypography(typed)).toBe(plain)
  })

  it("Slack and Discord apply the same rules to inbound text", () => {
    const slackNames = { userHandle: () => undefined, channelName: () => undefined }
    const discordNames = {
      botId: "1",
      userName: () => undefined,
      channelName: () => undefined,
      roleName: () => undefined,
    }
    for (const [, typed, plain] of SAMPLES) {
      expect(normaliseSlackText(`!st2 ${typed}`, slackNames)).toBe(`!st2 ${plain}`)
      expect(normalizeDiscordText(`!st2 ${typed}`, discordNames).text).toBe(`!st2 ${plain}`)
    }
  })
})
