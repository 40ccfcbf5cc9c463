import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { AliasIndex, type AliasMatch } from "../../src/aliases/AliasIndex.ts"
import { extractMultipleParameters, extractParameters } from "../../src/aliases/extractParameters.ts"
import { SlowResults } from "../../src/aliases/SlowMatch.ts"
import type { ActionAlias } from "../../src/st2/ActionAlias.ts"

const alias = (
  name: string,
  formats: ActionAlias["formats"],
  extra: Partial<ActionAlias> = {},
): ActionAlias => ({
  name,
  pack: "ops",
  action_ref: `ops.${name}`,
  formats,
  ...extra,
})

const summary = (m: AliasMatch) =>
  m._tag === "Matched"
    ? { tag: m._tag, alias: m.alias.name, format: m.format, executions: m.executions.map((e) => ({ ...e })) }
    : m._tag === "Ambiguous"
      ? {
          tag: m._tag,
          message: m.message,
          candidates: m.candidates.map((c) => `${c.alias.name}:${c.format}`),
        }
      : { tag: m._tag, message: m.message }

/**
 * st2 only sees anchors outside repeats and lookarounds, and only in the SECOND branch of an
 * alternation: `(?:\s|^)` and `(?:\b|$)` count as anchors, `(?:^|\s)` and `(?=\s|$)` do not (st2
 * would then anchor the whole format, and it could never match twice).
 */
const TICKETS = String.raw`(?:\s|^)fix (?P<t>[A-Z]+-\d+)(?:\b|$)`

describe("AliasIndex.match: choosing the alias as st2's get_matching_alias does", () => {
  const index = AliasIndex.build([
    alias("remote", ["run {{cmd}} on {{hosts}}"]),
    alias("deploy", [
      {
        display: "deploy {{app}} [to {{env}}]",
        representation: ["deploy {{app}} to {{env}}", "ship {{app}}"],
      },
    ]),
    alias("off", ["deploy everything now"], { enabled: false }),
    alias("twice", ["status {{x}}", "status {{y}}"]),
    alias("a1", ["restart {{svc}}"]),
    alias("a2", ["restart {{svc}} now"]),
    alias("tickets", [{ display: "fix TICKET", representation: [TICKETS], match_multiple: true }]),
    alias("help_only", [{ display: "Watch this." }]),
  ])

  it("one match wins, with the representation that matched and its display", () => {
    const m = index.match("deploy web to prod")
    expect(m).toMatchObject({
      _tag: "Matched",
      format: "deploy {{app}} to {{env}}",
      display: "deploy {{app}} [to {{env}}]",
    })
    expect(summary(m)).toMatchObject({ executions: [{ app: "web", env: "prod" }] })
    expect(summary(index.match("ship api"))).toMatchObject({ alias: "deploy", format: "ship {{app}}" })
    expect(summary(index.match("run date on web1 timeout=120"))).toEqual({
      tag: "Matched",
      alias: "remote",
      format: "run {{cmd}} on {{hosts}}",
      executions: [{ cmd: "date", hosts: "web1", timeout: "120" }],
    })
  })
  it("two matches are ambiguous, even within one alias, in st2's order", () => {
    expect(summary(index.match("status db"))).toEqual({
      tag: "Ambiguous",
      message: "Command 'status db' matched more than 1 pattern",
      candidates: ["twice:status {{x}}", "twice:status {{y}}"],
    })
    expect(summary(index.match("restart db now"))).toMatchObject({
      tag: "Ambiguous",
      candidates: ["a1:restart {{svc}}", "a2:restart {{svc}} now"],
    })
  })
  it("disabled aliases never match", () => {
    expect(summary(index.match("deploy everything now"))).toMatchObject({ tag: "NoMatch" })
  })
  it("match_multiple formats are tried only when nothing else matches, once per occurrence", () => {
    expect(summary(index.match("please fix ABC-1 and fix DEF-22 today"))).toEqual({
      tag: "Matched",
      alias: "tickets",
      format: TICKETS,
      executions: [{ t: "ABC-1" }, { t: "DEF-22" }],
    })
    const both = AliasIndex.build([
      alias("m1", [{ representation: [String.raw`(?:\s|^)x (?P<a>\d)`], match_multiple: true }]),
      alias("m2", [{ representation: [String.raw`(?:\s|^)x (?P<b>\d)`], match_multiple: true }]),
    ])
    expect(summary(both.match("x 1"))).toMatchObject({
      tag: "Ambiguous",
      message: "Command 'x 1' matched more than 1 (multi) pattern",
    })
  })
  it("gives one command per match_multiple occurrence that extracts exactly that occurrence (one POST each)", () => {
    const m = index.match("please fix ABC-1 and fix DEF-22 today prio=high")
    if (m._tag !== "Matched") throw new Error(m._tag)
    expect(m.commands).toHaveLength(2)
    expect(m.commands.map((c) => extractParameters(TICKETS, c))).toEqual([
      Either.right({ t: "ABC-1", prio: "high" }),
      Either.right({ t: "DEF-22", prio: "high" }),
    ])
    expect(m.executions).toEqual([
      { t: "ABC-1", prio: "high" },
      { t: "DEF-22", prio: "high" },
    ])
    const single = index.match("deploy web to prod")
    expect(single._tag === "Matched" && single.commands).toEqual(["deploy web to prod"])
  })
  it("no match: st2's message", () => {
    expect(index.match("Run date on web1")).toEqual({
      _tag: "NoMatch",
      message: "Command 'Run date on web1' matched no patterns",
    })
  })
  it("a display-only format is represented by '' and takes an empty command", () => {
    expect(summary(index.match(""))).toMatchObject({ tag: "Matched", alias: "help_only", format: "" })
  })
  it("formats that cannot be used are rejected by name; the rest keep working; build never throws", () => {
    const mixed = AliasIndex.build([
      alias("bad", ["(?i)deploy {{x}}", "ok {{x}}"]),
      alias("worse", ["(unclosed {{x}}"]),
      alias("fine", ["hello {{who}}"]),
    ])
    expect(mixed.rejected.map((r) => [r._tag, r.alias, r.format])).toEqual([
      ["FormatRejected", "ops.bad", "(?i)deploy {{x}}"],
      ["FormatRejected", "ops.worse", "(unclosed {{x}}"],
    ])
    expect(mixed.rejected[0]!.message).toMatch(
      /^Alias ops\.bad: format "\(\?i\)deploy \{\{x\}\}" is rejected: inline flags/,
    )
    expect(mixed.size).toBe(2)
    expect(summary(mixed.match("hello 世界"))).toMatchObject({ alias: "fine", executions: [{ who: "世界" }] })
    expect(summary(mixed.match("ok 1"))).toMatchObject({ alias: "bad" })
  })
  it("reuses compiled formats from a previous index without changing results", () => {
    const again = AliasIndex.build([alias("remote", ["run {{cmd}} on {{hosts}}"])], { reuse: index })
    expect(summary(again.match("run a on b"))).toMatchObject({
      alias: "remote",
      executions: [{ cmd: "a", hosts: "b" }],
    })
  })
})

describe("AliasIndex.match agrees with a linear scan of every format (index soundness)", () => {
  /** st2's algorithm, literally: try every representation of every enabled alias. */
  const bruteForce = (aliases: ReadonlyArray<ActionAlias>, command: string) => {
    const single: Array<string> = []
    const multi: Array<string> = []
    for (const a of aliases) {
      if (a.enabled === false) continue
      for (const f of a.formats) {
        const reps = typeof f === "string" ? [f] : [f.representation ?? []].flat()
        if (typeof f !== "string" && f.display && reps.length === 0) reps.push("")
        const isMulti = typeof f !== "string" && f.match_multiple === true
        for (const r of reps)
          if (Either.isRight(extractParameters(r, command))) (isMulti ? multi : single).push(`${a.name}:${r}`)
      }
    }
    if (single.length > 1) return { tag: "Ambiguous", candidates: single }
    if (single.length === 1) return { tag: "Matched", candidates: single }
    if (multi.length > 1) return { tag: "Ambiguous", candidates: multi }
    if (multi.length === 1) return { tag: "Matched", candidates: multi }
    return { tag: "NoMatch", candidates: [] }
  }

  let seed = 7
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed / 0x7fffffff
  }
  const pick = <T>(xs: ReadonlyArray<T>): T => xs[Math.floor(rand() * xs.length)]!
  const words = ["deploy", "dep", "run", "café", "東京", "list", "ls", "status", "st2", "go"]
  const shapes: ReadonlyArray<(w: string, v: string) => string> = [
    (w, _v) => `${w} {{a}}`,
    (w, v) => `${w} ${v} {{a}} to {{ b = x }}`,
    (w, _v) => `${w}{{a}}`,
    (w, _v) => `${w}[0-9]+ {{a}}`,
    (w, v) => `(${w}|${v}) {{a}}`,
    (w, _v) => `(?:please )?${w} {{a}}`,
    (w, _v) => `{{a}} ${w}`,
    (w, _v) => String.raw`^\s*${w} (?P<n>\d+)`,
    (w, v) => `${w}|${v} {{a}}$`,
    (w, v) => `${w} ${v}`,
    (w, v) => `${w}( ${v})? {{a}}`,
    (w, v) => String.raw`${w}\s+${v}`,
    (w, v) => `${w} ${v} ${w} ${v} ${w} ${v} ${w} ${v} ${w} {{a}}`,
  ]
  const aliases: Array<ActionAlias> = []
  for (let i = 0; i < 120; i++) {
    const w = pick(words)
    const v = pick(words)
    const f = pick(shapes)(w, v)
    const multi = rand() < 0.1
    aliases.push(
      alias(`a${i}`, [multi ? { representation: [f], match_multiple: true } : f], { enabled: rand() > 0.05 }),
    )
  }
  const index = AliasIndex.build(aliases)
  const commands: Array<string> = ["", " ", "x=1"]
  for (let i = 0; i < 400; i++) {
    const n = 1 + Math.floor(rand() * 10)
    const parts = Array.from({ length: n }, () =>
      rand() < 0.7 ? pick(words) : pick(["1", "42", "to", "x", "please", "web", "a=b"]),
    )
    commands.push(parts.join(rand() < 0.9 ? " " : "  "))
    commands.push(parts.join("") + (rand() < 0.5 ? "7" : ""))
  }

  it("for hundreds of commands over varied format shapes", () => {
    expect(index.rejected).toEqual([])
    let matchedSome = 0
    for (const c of commands) {
      const m = index.match(c)
      const got =
        m._tag === "Matched"
          ? { tag: m._tag, candidates: [`${m.alias.name}:${m.format}`] }
          : m._tag === "Ambiguous"
            ? { tag: m._tag, candidates: m.candidates.map((x) => `${x.alias.name}:${x.format}`) }
            : { tag: m._tag, candidates: [] }
      expect(got, c).toEqual(bruteForce(aliases, c))
      if (m._tag !== "NoMatch") matchedSome++
    }
    expect(matchedSome).toBeGreaterThan(50)
  })
  it("executions equal extract_parameters for the winner", () => {
    for (const c of commands) {
      const m = index.match(c)
      if (m._tag !== "Matched") continue
      const expected = m.multiple
        ? extractMultipleParameters(m.format, c)
        : Either.map(extractParameters(m.format, c), (p) => [p])
      expect(m.executions).toEqual(Either.getOrThrow(expected))
    }
  })
})

describe("AliasIndex.help: st2's generate_helpstring_result", () => {
  // st2's own help test data (test_actionalias_helpstring.py), all in pack "the80s".
  const the80s = (name: string, formats: ActionAlias["formats"], enabled = true): ActionAlias =>
    alias(name, formats, { pack: "the80s", enabled, description: `${name} says` })
  const aliases = [
    the80s("kyle_reese", ["Come with me if you want to live"]),
    the80s("terminator", ["I need your {{item}}, your {{item2}} and your {{vehicle}}"]),
    the80s("johnny_five_alive", [
      { display: "Number 5 is {{status}}", representation: ["Number 5 is {{status=alive}}"] },
      "Hey, laser lips, your mama was a snow blower.",
    ]),
    the80s("i_feel_alive", ["How do I feel? I feel... {{status}}!"]),
    the80s("andy", [{ display: "Watch this." }]),
    the80s("andy", [{ display: "He's just like his {{relation}}." }]),
    the80s("data", [{ representation: "That's okay daddy. You can't hug a {{object}}." }]),
    the80s("mr_wang", [{ representation: "You are my greatest invention." }]),
    the80s("Ferris", [
      "Life moves pretty fast.",
      "If you don't stop and look around once in a while, you could miss it.",
    ]),
    the80s("economics.teacher", ["Bueller?... Bueller?... Bueller? "], false),
    the80s("spengler", ["{{choice}} cross the {{target}}"]),
    alias("other", ["other pack thing"]),
  ]
  const index = AliasIndex.build(aliases)
  const displays = (q: Parameters<AliasIndex["help"]>[0]) => index.help(q).helpstrings.map((h) => h.display)

  it("lists enabled aliases' displays, sorted by pack then name, skipping formats without one", () => {
    const all = index.help({ pack: "the80s" })
    expect(all.available).toBe(10)
    expect(all.helpstrings.map((h) => h.display)).toEqual([
      "Life moves pretty fast.",
      "If you don't stop and look around once in a while, you could miss it.",
      "Watch this.",
      "He's just like his {{relation}}.",
      "How do I feel? I feel... {{status}}!",
      "Number 5 is {{status}}",
      "Hey, laser lips, your mama was a snow blower.",
      "Come with me if you want to live",
      "{{choice}} cross the {{target}}",
      "I need your {{item}}, your {{item2}} and your {{vehicle}}",
    ])
    expect(all.helpstrings[0]).toEqual({
      pack: "the80s",
      display: "Life moves pretty fast.",
      description: "Ferris says",
    })
    expect(index.help().available).toBe(11)
  })
  it("filter is a case-insensitive regex search; pack must match exactly", () => {
    expect(index.help({ filter: "you", pack: "the80s" }).available).toBe(4)
    expect(index.help({ filter: "YOU", pack: "the80s" }).available).toBe(4)
    expect(displays({ filter: "^(watch|life)" })).toEqual(["Life moves pretty fast.", "Watch this."])
    expect(index.help({ filter: "you_will_not_find_this_string" })).toEqual({ available: 0, helpstrings: [] })
    expect(index.help({ pack: "the8" }).available).toBe(0)
    expect(index.help({ pack: "", filter: "" }).available).toBe(11)
  })
  it("an invalid filter regex is searched as plain text", () => {
    expect(displays({ filter: "feel... {{" })).toEqual(["How do I feel? I feel... {{status}}!"])
  })
  it("runs the filter on the linear matcher: `(.|.)*!`, exponential in a backtracking engine", () => {
    expect(displays({ filter: "(.|.)*!" })).toEqual(["How do I feel? I feel... {{status}}!"])
  })
  it("stops and says incomplete when the filter's work passes maxSteps", () => {
    expect(index.help({ filter: "(.|.)*#" }, { maxSteps: 100 })).toMatchObject({ incomplete: true })
    expect(index.help({ filter: "(.|.)*#" }, { maxSteps: 1_000_000 })).toEqual({
      available: 0,
      helpstrings: [],
    })
  })
  it("limit and offset, with st2's quirks; available counts before paging", () => {
    const q = { pack: "the80s" }
    expect(index.help({ ...q, limit: 3 })).toMatchObject({ available: 10 })
    expect(displays({ ...q, limit: 3 })).toHaveLength(3)
    expect(displays({ ...q, limit: -3 })).toHaveLength(10)
    expect(displays({ ...q, limit: 30 })).toHaveLength(10)
    expect(displays({ ...q, offset: -1 })).toHaveLength(10)
    expect(index.help({ ...q, offset: 30 })).toEqual({ available: 10, helpstrings: [] })
    expect(displays({ ...q, offset: 6 })).toEqual([
      "Hey, laser lips, your mama was a snow blower.",
      "Come with me if you want to live",
      "{{choice}} cross the {{target}}",
      "I need your {{item}}, your {{item2}} and your {{vehicle}}",
    ])
    expect(displays({ ...q, offset: 2, limit: 2 })).toEqual([
      "Watch this.",
      "He's just like his {{relation}}.",
    ])
    expect(displays({ ...q, offset: -1, limit: 2 })).toHaveLength(10) // neither branch of st2's test applies
  })
  it("description is null when the alias has none", () => {
    expect(index.help({ pack: "ops" }).helpstrings).toEqual([
      { pack: "ops", display: "other pack thing", description: null },
    ])
  })
})

describe("AliasIndex.match: formats the linear matcher cannot take (back-references)", () => {
  const index = AliasIndex.build([
    alias("echo", [String.raw`(?P<w>\w+) again (?P=w)`]),
    alias("hello", ["hello {{who}}"]),
  ])
  it("run on the JavaScript engine in-process by default (tools, the sandbox)", () => {
    expect(summary(index.match("hi again hi"))).toMatchObject({ tag: "Matched", executions: [{ w: "hi" }] })
  })
  it('with "defer", become jobs; with their outcomes, the answer', () => {
    const pending = index.match("hi again hi", "defer")
    expect(pending._tag).toBe("NeedsWorker")
    if (pending._tag !== "NeedsWorker") return
    expect(pending.jobs.map((j) => [j.alias, j.format.format, j.stream, j.all])).toEqual([
      ["ops.echo", String.raw`(?P<w>\w+) again (?P=w)`, " hi again hi ", false],
    ])
    const results = new SlowResults()
    const job = pending.jobs[0]!
    results.set(job, { _tag: "Matched", matches: [{ index: 0, text: " hi again hi ", groups: { w: "hi" } }] })
    expect(summary(index.match("hi again hi", results) as AliasMatch)).toMatchObject({
      tag: "Matched",
      executions: [{ w: "hi" }],
    })
    results.set(job, { _tag: "TimedOut" })
    expect(index.match("hi again hi", results)).toEqual({
      _tag: "TimedOut",
      alias: "ops.echo",
      format: String.raw`(?P<w>\w+) again (?P=w)`,
    })
  })
  it("a command whose candidates are all linear never needs a job", () => {
    expect(index.match("hello you", "defer")._tag).toBe("Matched")
  })
})

describe("AliasIndex.suggest: did you mean", () => {
  const index = AliasIndex.build([
    alias("deploy", ["deploy {{app}} to {{env}}"]),
    alias("restart", ["restart {{service}}"]),
    alias("status", [{ display: "status of {{thing}}", representation: ["status( of)? {{thing}}"] }]),
    alias("jira", [String.raw`jira (?P<key>[A-Z]+-\d+)`]),
  ])
  it("offers the closest display strings for a command that matched nothing", () => {
    expect(index.match("deploi web to prod")._tag).toBe("NoMatch")
    expect(index.suggest("deploi web to prod")).toEqual(["deploy {{app}} to {{env}}"])
    expect(index.suggest("Restart nginx")).toEqual(["restart {{service}}"])
    expect(index.suggest("stats of db")[0]).toBe("status of {{thing}}")
    expect(index.suggest("jirra ABC-1")).toEqual([String.raw`jira (?P<key>[A-Z]+-\d+)`])
  })
  it("offers nothing far away, and honours max", () => {
    expect(index.suggest("make me a sandwich")).toEqual([])
    expect(index.suggest("deploy x to y", 0)).toEqual([])
  })
})
