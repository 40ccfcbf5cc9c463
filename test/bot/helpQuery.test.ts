import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { parseHelpQuery } from "../../src/bot/helpQuery.ts"
import { renderHelp } from "../../src/bot/renderHelp.ts"

describe("parseHelpQuery", () => {
  it("reads every flag, in both spellings, and a quoted filter", () => {
    expect(parseHelpQuery(`--pack core --filter "run .*" --limit=5 --offset 10`)).toEqual(
      Either.right({ pack: "core", filter: "run .*", limit: 5, offset: 10 }),
    )
    expect(parseHelpQuery("")).toEqual(Either.right({}))
    expect(parseHelpQuery("deploy")).toEqual(Either.right({ filter: "deploy" }))
  })
  it("explains bad input", () => {
    expect(parseHelpQuery("--bogus x")).toEqual(
      Either.left(expect.stringContaining(`unknown option "--bogus"`)),
    )
    expect(parseHelpQuery("--limit ten")).toEqual(Either.left(`--limit must be a whole number, got "ten"`))
    expect(parseHelpQuery("--pack")).toEqual(Either.left(expect.stringContaining("--pack needs a value")))
    expect(parseHelpQuery("--filter (")).toEqual(
      Either.left(`--filter "(" is not a valid regular expression`),
    )
  })
})

describe("renderHelp", () => {
  const helpstrings = [
    { pack: "core", display: "run {{cmd}}", description: "Run a command" },
    { pack: "core", display: "date", description: "" },
    { pack: "packs", display: "pack get {{pack}}", description: "Show a pack" },
  ]
  it("groups by pack and shows commands as typed", () => {
    expect(renderHelp({ available: 3, helpstrings }, {}, "!st2 ")).toBe(
      [
        "Commands (3):",
        "core:",
        "  !st2 run {{cmd}} - Run a command",
        "  !st2 date",
        "packs:",
        "  !st2 pack get {{pack}} - Show a pack",
      ].join("\n"),
    )
  })
  it("says when a page is partial, and when nothing matched", () => {
    expect(
      renderHelp({ available: 10, helpstrings: helpstrings.slice(0, 1) }, { offset: 2, limit: 1 }, "!"),
    ).toContain("Commands 3-3 of 10")
    expect(renderHelp({ available: 0, helpstrings: [] }, { pack: "nope" }, "!")).toBe(
      `No commands for pack "nope".`,
    )
  })
})
