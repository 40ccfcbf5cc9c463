import { describe, expect, it } from "vitest"
import { plainText, splitPretext } from "../../src/chat/splitPretext.ts"

describe("{~} (Hubot's pretext delimiter)", () => {
  it("splits the plain part from the rest at the first {~}", () => {
    expect(splitPretext("Deployed web{~}host: a\nhost: b")).toEqual({
      pretext: "Deployed web",
      text: "host: a\nhost: b",
    })
  })

  it("without {~} the whole message is the text", () => {
    expect(splitPretext("just text")).toEqual({ pretext: "", text: "just text" })
  })

  it("keeps later delimiters instead of dropping what follows them", () => {
    expect(splitPretext("a{~}b{~}c")).toEqual({ pretext: "a", text: "b{~}c" })
  })

  it("plain rendering puts the pretext on its own line, without empty lines for missing parts", () => {
    expect(plainText("head{~}body")).toBe("head\nbody")
    expect(plainText("head{~}")).toBe("head")
    expect(plainText("{~}body")).toBe("body")
    expect(plainText("no delimiter")).toBe("no delimiter")
  })
})
