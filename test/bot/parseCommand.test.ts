import { describe, expect, it } from "vitest"
import { parseCommand } from "../../src/bot/parseCommand.ts"

const st2 = { botPrefix: "!", pluginPrefix: "st2" }

describe("parseCommand", () => {
  it("runs `!st2 <command>` and keeps the command's case and inner spacing", () => {
    expect(parseCommand("!st2 run  Date on localhost ", st2)).toEqual({
      _tag: "Run",
      command: "run  Date on localhost",
    })
  })
  it("reads `!st2help` with and without arguments", () => {
    expect(parseCommand("!st2help", st2)).toEqual({ _tag: "Help", args: "" })
    expect(parseCommand("!st2help --pack core --limit 5", st2)).toEqual({
      _tag: "Help",
      args: "--pack core --limit 5",
    })
  })
  it("ignores ordinary chat and other bots' commands", () => {
    expect(parseCommand("run date on localhost", st2)).toBeUndefined()
    expect(parseCommand("!st2x run", st2)).toBeUndefined()
    expect(parseCommand("!st2", st2)).toBeUndefined()
    expect(parseCommand("!other thing", st2)).toBeUndefined()
  })
  it("accepts an addressed command without the bot prefix (mention or DM)", () => {
    expect(parseCommand("st2 run date", st2, true)).toEqual({ _tag: "Run", command: "run date" })
    expect(parseCommand("st2 run date", st2, false)).toBeUndefined()
  })
  it("works with an empty plugin prefix, as st2chatops users type `!run ...`", () => {
    const hubot = { botPrefix: "!", pluginPrefix: "" }
    expect(parseCommand("!run date on localhost", hubot)).toEqual({
      _tag: "Run",
      command: "run date on localhost",
    })
    expect(parseCommand("!help", hubot)).toEqual({ _tag: "Help", args: "" })
    expect(parseCommand("!", hubot)).toBeUndefined()
  })
  it("handles regex characters in prefixes literally and multi-line commands", () => {
    const odd = { botPrefix: ".", pluginPrefix: "s+" }
    expect(parseCommand(".s+ deploy\nweb", odd)).toEqual({ _tag: "Run", command: "deploy\nweb" })
    expect(parseCommand(".ss deploy", odd)).toBeUndefined()
  })
})
