import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"

/** Runs the real CLI (`stormbot alias-test ...`) in a child process. */
const cli = (...args: Array<string>) => {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts", "alias-test", ...args], {
    encoding: "utf8",
  })
  return {
    code: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    json: r.stdout ? JSON.parse(r.stdout) : undefined,
  }
}

const dir = mkdtempSync(join(tmpdir(), "alias-test-"))
const aliasDir = join(dir, "mypack", "aliases")
mkdirSync(aliasDir, { recursive: true })
writeFileSync(
  join(aliasDir, "remote.yaml"),
  `---
name: remote_run
action_ref: core.remote
formats:
  - display: "run {{cmd}} [on {{hosts}}]"
    representation:
      - "(run|execute) {{cmd}}( on {{hosts=localhost}})?[!.]?"
---
name: tickets
action_ref: jira.get
formats:
  - display: "fix TICKET"
    representation: '(?:\\s|^)fix (?P<t>[A-Z]+-\\d+)(?:\\b|$)'
    match_multiple: true
`,
)
writeFileSync(join(aliasDir, "bad.yaml"), "name: bad\naction_ref: x.y\nformats: ['(?i)shout {{x}}']\n")
const apiJson = join(dir, "aliases.json")
writeFileSync(
  apiJson,
  JSON.stringify([{ name: "hello", pack: "greet", action_ref: "greet.hello", formats: ["hello {{who}}"] }]),
)
const batch = join(dir, "batch.json")
writeFileSync(
  batch,
  JSON.stringify([
    { format: "run {{cmd}} on {{hosts}}", command: "run date on web1 timeout=120" },
    { format: "foo", command: "bar" },
  ]),
)
const commandBatch = join(dir, "commands.json")
writeFileSync(commandBatch, JSON.stringify([{ command: "execute uptime!" }, { command: "nothing" }]))

describe("stormbot alias-test", () => {
  it("--format: prints the params, exit 0", () => {
    const r = cli("--format", "run {{cmd}} on {{hosts}}", "--command", "run date on web1 timeout=120")
    expect(r).toMatchObject({ code: 0, json: { params: { cmd: "date", hosts: "web1", timeout: "120" } } })
    expect(r.stdout).toBe('{"params":{"cmd":"date","hosts":"web1","timeout":"120"}}\n')
  })
  it("--format: st2's error, exit 1", () => {
    expect(cli("--format", "foo bar", "--command", "foo baz")).toMatchObject({
      code: 1,
      json: { error: `Command "foo baz" doesn't match format string "foo bar"` },
    })
  })
  it("--aliases folder of YAML: alias, format and params; pack from the layout; rejected formats on stderr", () => {
    const r = cli("--aliases", aliasDir, "--command", "execute uptime!")
    expect(r).toMatchObject({
      code: 0,
      json: {
        alias: "mypack.remote_run",
        format: "(run|execute) {{cmd}}( on {{hosts=localhost}})?[!.]?",
        params: { cmd: "uptime", hosts: "localhost" },
      },
    })
    expect(r.stderr).toMatch(/Alias mypack\.bad: format "\(\?i\)shout \{\{x\}\}" is rejected/)
  })
  it("--aliases: match_multiple gives executions", () => {
    expect(cli("--aliases", aliasDir, "--command", "fix AB-1 then fix CD-2").json).toEqual({
      alias: "mypack.tickets",
      format: String.raw`(?:\s|^)fix (?P<t>[A-Z]+-\d+)(?:\b|$)`,
      executions: [{ t: "AB-1" }, { t: "CD-2" }],
    })
  })
  it("--aliases JSON (API form): no match is an error, exit 1", () => {
    expect(cli("--aliases", apiJson, "--command", "hello 世界").json).toEqual({
      alias: "greet.hello",
      format: "hello {{who}}",
      params: { who: "世界" },
    })
    expect(cli("--aliases", apiJson, "--command", "bye")).toMatchObject({
      code: 1,
      json: { error: "Command 'bye' matched no patterns" },
    })
  })
  it("--batch: one JSON array in order; exit 1 when any failed", () => {
    expect(cli("--batch", batch)).toMatchObject({
      code: 1,
      json: [
        { params: { cmd: "date", hosts: "web1", timeout: "120" } },
        { error: `Command "bar" doesn't match format string "foo"` },
      ],
    })
    expect(cli("--aliases", aliasDir, "--batch", commandBatch).json).toEqual([
      {
        alias: "mypack.remote_run",
        format: "(run|execute) {{cmd}}( on {{hosts=localhost}})?[!.]?",
        params: { cmd: "uptime", hosts: "localhost" },
      },
      { error: "Command 'nothing' matched no patterns" },
    ])
  })
  it("bad usage and unreadable files: exit 2, a clear message on stderr, nothing on stdout", () => {
    for (const [args, message] of [
      [["--format", "x"], /give exactly one of --command or --batch/],
      [["--command", "x"], /--command needs --format or --aliases/],
      [["--format", "x", "--aliases", apiJson, "--command", "x"], /not both/],
      [["--aliases", join(dir, "missing.yaml"), "--command", "x"], /cannot read .*missing\.yaml/],
      [["--batch", join(dir, "missing.json")], /cannot read --batch/],
      [["--format", "x", "--command", "x", "--bogus"], /Unknown option '--bogus'/],
    ] as const) {
      const r = cli(...args)
      expect(r.code).toBe(2)
      expect(r.stdout).toBe("")
      expect(r.stderr).toMatch(message)
    }
  })
})
