/**
 * `npm run bench:attack`: the worst time one hostile command (or help filter) costs the bot's
 * event loop, over a corpus of inputs crafted against st2's regexes and lazy placeholders, with
 * the 10,000 formats of `bench:match` plus formats an attacker would aim at. Every command is
 * within `limits.max_command_length` (4,096); each is matched as the bot does (`match` with
 * "defer": formats with back-references would go to the worker, none are in this corpus).
 * Prints numbers; asserts nothing about time (issue #18).
 */
import { availableParallelism, loadavg } from "node:os"
import { AliasIndex } from "../src/aliases/AliasIndex.ts"
import { helpFilterMaxSteps } from "../src/bot/makeCommandHandler.ts"
import type { ActionAlias } from "../src/st2/ActionAlias.ts"
import { buildCorpus } from "./matchCorpus.ts"

const now = () => Number(process.hrtime.bigint()) / 1e6 // ms

const targets: ReadonlyArray<ActionAlias> = [
  ["say", "say {{ text }}"],
  ["run", "run {{cmd}}"],
  ["five", "{{a}} {{b}} {{c}} {{d}} {{e}} done"],
  ["quotes", `{{a}}'{{b}}"{{c}}`],
  ["remote", "run {{cmd}} on {{hosts}}"],
  ["tickets", String.raw`(?:\s|^)fix (?P<t>[A-Z]+-\d+)(?:\b|$)`],
].map(([name, format]) => ({ name: name!, pack: "attack", action_ref: `attack.${name}`, formats: [format!] }))

const corpus = buildCorpus(10_000)
const index = AliasIndex.build([...corpus.aliases, ...targets])
const MAX = 4096
const capped = (s: string) => s.slice(0, MAX)

/** Commands crafted against st2's trailing-pairs regex and against lazy placeholders. */
const commands: ReadonlyArray<readonly [string, string]> = [
  ["15x a=b=c=d + X (froze the bot 14 s)", `${Array(15).fill("a=b=c=d").join(" ")} X`],
  ["500x a=b=c=d + X", capped(`${"a=b=c=d ".repeat(500)}X`)],
  ["say + 500x a=b=c=d + X", capped(`say ${"a=b=c=d ".repeat(500)}X`)],
  ["26x a=b=c + X (> 60 s)", `${Array(26).fill("a=b=c").join(" ")} X`],
  ["680x a=b=c + X", capped(`${"a=b=c ".repeat(680)}X`)],
  ["run x + 4,000 spaces + y (21 s)", `run x${" ".repeat(4000)}y`],
  ["run x= + 4,000 spaces + y", `run x=${" ".repeat(4000)}y`],
  ["500x a=b=c=d (all pairs)", capped("a=b=c=d ".repeat(500).trim())],
  ['800x a="x (unclosed quotes)', capped('a="x '.repeat(800))],
  ["1000x k={ (unclosed braces)", capped("k={ ".repeat(1000))],
  ["4,000 =", "=".repeat(4000)],
  ["w w w ... done x (five placeholders)", capped(`${"w ".repeat(2040)}done x`)],
  ["w w w ... done", capped(`${"w ".repeat(2040)}done`)],
  [`'"'"... (quote lookarounds)`, capped(`'"`.repeat(2048))],
  ["run on on on ...", capped(`run ${"on ".repeat(1360)}`)],
  ["fix AB-1 x 450 (match_multiple)", capped("fix AB-1 ".repeat(450))],
  [
    "a corpus prefix + 4,000 chars",
    capped(`${corpus.hitCommand.split(" ").slice(0, 3).join(" ")} ${"on x ".repeat(820)}`),
  ],
  ["the corpus hit command", corpus.hitCommand],
  ["the corpus miss command", corpus.missCommand],
]

/** Help filters that are exponential or polynomial in a backtracking engine. */
const filters: ReadonlyArray<string> = [
  "(.|.)*!",
  "(a|a)*b",
  "(.*)*=",
  ".*.*.*.*.*#",
  "(?:(?:a{20}){10}){9}",
  "(x+x+)+y",
  "deploy",
]

const time = (run: () => unknown, times = 5): number => {
  const samples: Array<number> = []
  for (let i = 0; i < times; i++) {
    const t = now()
    run()
    samples.push(now() - t)
  }
  samples.sort((a, b) => a - b)
  return samples[Math.floor(samples.length / 2)]!
}

// Warm up the matcher (JIT) on the same inputs once.
for (const [, c] of commands) index.match(c, "defer")

const rows: Array<readonly [string, number, string]> = []
for (const [name, c] of commands) {
  let tag = ""
  const ms = time(() => {
    tag = index.match(c, "defer")._tag
  })
  rows.push([`command: ${name} (${c.length} chars)`, ms, tag])
}
for (const filter of filters) {
  let answer = ""
  const ms = time(() => {
    const h = index.help({ filter }, { maxSteps: helpFilterMaxSteps })
    answer = h.incomplete === true ? "incomplete" : `${h.available} found`
  }, 3)
  rows.push([`help --filter ${filter} over ${index.size} formats`, ms, answer])
}

console.log(`formats: ${index.size} (the bench:match corpus and ${targets.length} targets)`)
console.log(`load average: ${loadavg()[0]!.toFixed(2)} on ${availableParallelism()} cores`)
for (const [name, ms, tag] of rows) console.log(`${ms.toFixed(2).padStart(8)} ms  ${name}: ${tag}`)
const worst = rows.reduce((a, b) => (b[1] > a[1] ? b : a))
const worstCommand = rows.filter((r) => r[0].startsWith("command")).reduce((a, b) => (b[1] > a[1] ? b : a))
console.log(`worst command: ${worstCommand[1].toFixed(2)} ms (${worstCommand[0]})`)
console.log(`worst of all ${rows.length} inputs: ${worst[1].toFixed(2)} ms (${worst[0]})`)
