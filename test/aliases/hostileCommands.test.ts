import { describe, expect, it } from "vitest"
import { AliasIndex } from "../../src/aliases/AliasIndex.ts"
import type { ActionAlias } from "../../src/st2/ActionAlias.ts"

/**
 * The inputs an attacker measured freezing the bot (#18), and larger ones of the same shape,
 * through the index as the bot uses it: each gets StackStorm's answer. Before the linear
 * scanner and matcher these ran for 14 s to hours (the larger ones would never finish), with
 * the whole bot stopped meanwhile. Only the index's public API is used, so the same file runs
 * against older code; the work bounds themselves are counted in trailingPairs.test.ts and
 * LinearMatcher.test.ts.
 */
const alias = (name: string, formats: ActionAlias["formats"]): ActionAlias => ({
  name,
  pack: "ops",
  action_ref: `ops.${name}`,
  formats,
})

const index = AliasIndex.build([
  alias("say", ["say {{ text }}"]),
  alias("run", ["run {{cmd}}"]),
  alias("five", ["{{a}} {{b}} {{c}} {{d}} {{e}} done"]),
  alias("deploy", ["deploy {{app}}"]),
])

const executions = (command: string) => {
  const m = index.match(command)
  return m._tag === "Matched"
    ? { alias: m.alias.name, executions: m.executions.map((e) => ({ ...e })) }
    : m._tag
}

describe("hostile commands get StackStorm's answer (#18)", () => {
  it("`a=b=c=d` repeated then a word that is no pair: no trailing pairs (exponential in st2's regex)", () => {
    for (const times of [15, 16, 40]) {
      const text = `${Array(times).fill("a=b=c=d").join(" ")} X`
      expect(executions(`say ${text}`), `${times}x`).toEqual({ alias: "say", executions: [{ text }] })
    }
  })

  it("`a=b=c` repeated 26 and 60 times then ` X`: no alias takes it", () => {
    for (const times of [26, 60])
      expect(executions(`${Array(times).fill("a=b=c").join(" ")} X`)).toBe("NoMatch")
  })

  it("trailing pairs that do parse, 300 of them: the last `a=` wins", () => {
    const pairs = Array(300).fill("a=b=c=d").join(" ")
    expect(executions(`deploy web ${pairs}`)).toEqual({
      alias: "deploy",
      executions: [{ app: "web", a: "b=c=d" }],
    })
  })

  it("`run x`, then 4,000 or 40,000 spaces, then `y` (cubic in st2's regex)", () => {
    for (const spaces of [4000, 40_000]) {
      const cmd = `x${" ".repeat(spaces)}y`
      expect(executions(`run ${cmd}`)).toEqual({ alias: "run", executions: [{ cmd }] })
      expect(executions(`run ${cmd} k=v`)).toEqual({ alias: "run", executions: [{ cmd, k: "v" }] })
    }
  })

  it("five placeholders over 400 and 4,000 characters of `w w w` (O(n^5) backtracking)", () => {
    for (const words of [200, 2000]) {
      // `done` is there (so the format is tried), but not at the end.
      expect(executions(`${"w ".repeat(words)}done x`)).toBe("NoMatch")
      expect(executions("w ".repeat(words).trim())).toBe("NoMatch")
      const m = executions(`${"w ".repeat(words)}done`)
      expect(m).toMatchObject({ alias: "five", executions: [{ a: "w", b: "w", c: "w", d: "w" }] })
    }
  })

  it("help --filter `(.|.)*!`: the user's regex, exponential in a backtracking engine", () => {
    expect(index.help({ filter: "(.|.)*!" }).available).toBe(0)
    expect(index.help({ filter: "(.|.)*done" }).helpstrings.map((h) => h.display)).toEqual([
      "{{a}} {{b}} {{c}} {{d}} {{e}} done",
    ])
  })
})
