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
      Either.left(`--filter "(" is not a valid regular expression: missing ), unterminated subpattern`),
    )
  })
  it("checks the filter as the index runs it: Python's dialect, the linear matcher, 200 characters", () => {
    // Python's dialect: `(?P<n>...)` is fine, a JavaScript-only `(?<n>...)` is not.
    expect(parseHelpQuery("--filter (?P<n>run)")).toEqual(Either.right({ filter: "(?P<n>run)" }))
    expect(parseHelpQuery("--filter (?<n>run)")).toEqual(
      Either.left(expect.stringContaining(`--filter "(?<n>run)" is not a valid regular expression`)),
    )
    expect(parseHelpQuery(String.raw`--filter (\w)\1`)).toEqual(
      Either.left(String.raw`--filter "(\w)\1" cannot be used: it uses a back-reference`),
    )
    expect(parseHelpQuery(`--filter ${"x".repeat(201)}`)).toEqual(
      Either.left("--filter is 201 characters long; the limit is 200"),
    )
    expect(parseHelpQuery("--filter (?:(?:(?:a{20}){10}){10})")).toEqual(
      Either.left(
        expect.stringMatching(/cannot be used: it is too large once its repetitions are written out/),
      ),
    )
    // Exponential in a backtracking engine, linear here: accepted.
    expect(parseHelpQuery("--filter (.|.)*!")).toEqual(Either.right({ filter: "(.|.)*!" }))
    // A leading (?i) is what the search does anyway.
    expect(parseHelpQuery("--filter (?i)deploy")).toEqual(Either.right({ filter: "(?i)deploy" }))
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
