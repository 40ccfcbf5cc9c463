import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { type SandboxHandle, startSandbox } from "../../src/sandbox/Sandbox.ts"
import {
  jsonLogLines,
  killLeftovers,
  logMessages,
  sandboxConfig,
  sandboxState,
  spawnCli,
  untilSandbox,
  writeConfig,
} from "./cliProcess.ts"

// `stormbot start` as a process: the terminal adapter (no `adapters` section) on piped stdin,
// against a sandbox started here. One sandbox for the file; its tests run one after another.
let sb: SandboxHandle
let config: { path: string; cleanup: () => Promise<unknown> }

beforeAll(async () => {
  sb = await startSandbox({ resultDelayMs: 20 })
  config = await writeConfig(sandboxConfig(sb.url))
})
afterAll(async () => {
  await config?.cleanup()
  await sb?.stop()
})
afterEach(killLeftovers)

const HELP = "Commands ("
const ACK = "stormbot> Running `date` on localhost..."
const RESULT = /stormbot> localhost: \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d UTC \d{4}/

/** The `actor: from --EVENT--> to` transition lines among stderr's log messages. */
const transitions = (stderr: string) => logMessages(stderr).filter((m) => / --\S+--> /.test(m))

describe("stormbot start", () => {
  it("piped stdin: help, then the ack, then the result on stdout; exits 0 once input ended and the result came", async () => {
    const executionsBefore = (await sandboxState(sb.url)).executions
    const bot = spawnCli(["start", "--config", config.path], {
      stdin: "!st2help\n!st2 run date on localhost\n",
    })
    const exit = await bot.exited
    const out = bot.stdout()
    expect(exit, bot.stderr()).toEqual({ code: 0, signal: null })
    const help = out.indexOf(HELP)
    const ack = out.indexOf(ACK)
    const result = out.search(RESULT)
    expect(help, out).toBeGreaterThanOrEqual(0)
    expect(out).toContain("!st2 run {{cmd}} on {{hosts=localhost}}")
    expect(ack, out).toBeGreaterThan(help)
    expect(result, out).toBeGreaterThan(ack)
    // The ack carries the execution's web_url, and st2 really ran one execution.
    expect(out).toMatch(new RegExp(`${sb.url}/#/history/[0-9a-f]{24}/general`))
    expect((await sandboxState(sb.url)).executions).toBe(executionsBefore + 1)
  })

  it("logs go to stderr as JSON lines, chat to stdout; no transition lines without --inspect", async () => {
    const bot = spawnCli(["start", "--config", config.path], { stdin: "!st2 run date on localhost\n" })
    expect((await bot.exited).code, bot.stderr()).toBe(0)
    expect(bot.stdout()).toMatch(RESULT)
    expect(jsonLogLines(bot.stdout())).toEqual([])
    expect(bot.stdout()).not.toContain('"logLevel"')
    expect(logMessages(bot.stderr())).toContain("stormbot is running")
    expect(bot.stderr()).not.toContain("stormbot>")
    expect(transitions(bot.stderr())).toEqual([])
  })

  it("SIGTERM while running (stdin open): exits 0 after an orderly shutdown, and the stream connection is closed; --inspect logs transitions", async () => {
    const bot = spawnCli(["start", "--config", config.path, "--inspect"], { stdin: "open" })
    await bot.waitFor("stderr", (t) => /stream: \S+ --OPENED--> /.test(t))
    await untilSandbox(sb.url, (s) => s.open_streams === 1)
    bot.child.kill("SIGTERM")
    expect(await bot.exited, bot.stderr()).toEqual({ code: 0, signal: null })
    expect(logMessages(bot.stderr())).toContain("supervisor stopped")
    expect((await untilSandbox(sb.url, (s) => s.open_streams === 0)).open_streams).toBe(0)

    const lines = transitions(bot.stderr())
    const actors = new Set(lines.map((l) => l.slice(0, l.indexOf(": "))))
    for (const actor of ["credential", "aliasSync", "stream", "supervisor", "adapter:text"])
      expect([...actors], lines.join("\n")).toContain(actor)
    expect(lines).toContain("credential: (start) --xstate.init--> authenticating")
    expect(lines.some((l) => /^credential: authenticating --\S+--> \{"authenticated":/.test(l))).toBe(true)
    expect(lines).toContain('stream: {"live":"connecting"} --OPENED--> {"live":{"connected":"listening"}}')
    expect(lines.some((l) => /^supervisor: \(start\) --xstate\.init--> \{"up":/.test(l))).toBe(true)
    // The shutdown itself is visible: the supervisor leaves `up` on SHUTDOWN.
    expect(
      lines.some((l) => /^supervisor: \{"up":.* --SHUTDOWN--> /.test(l)),
      lines.join("\n"),
    ).toBe(true)
    // Each transition is also a structured entry with its parts.
    const entry = bot
      .stderr()
      .split("\n")
      .map((l) => JSON.parse(l || "{}") as { annotations?: Record<string, string> })
      .find((e) => e.annotations?.actor === "stream" && e.annotations.event === "OPENED")
    expect(entry?.annotations).toMatchObject({ from: '{"live":"connecting"}', to: expect.any(String) })
  })

  it("SIGINT while running (stdin open) after a command: the result arrived, exits 0, stream closed; pretty logs stay on stderr", async () => {
    const pretty = await writeConfig(sandboxConfig(sb.url, "log:\n  format: pretty"))
    try {
      const bot = spawnCli(["start", "--config", pretty.path], { stdin: "open" })
      bot.child.stdin!.write("!st2 run date on localhost\n")
      await bot.waitFor("stdout", (t) => RESULT.test(t))
      await untilSandbox(sb.url, (s) => s.open_streams === 1)
      bot.child.kill("SIGINT")
      expect(await bot.exited, bot.stderr()).toEqual({ code: 0, signal: null })
      expect(bot.stderr()).toMatch(/ INFO \(#\d+\): supervisor stopped/)
      expect(bot.stdout()).not.toMatch(/ (INFO|DEBUG|WARN|ERROR) \(#\d+\):/)
      expect((await untilSandbox(sb.url, (s) => s.open_streams === 0)).open_streams).toBe(0)
      expect(bot.stdout().indexOf(ACK)).toBeLessThan(bot.stdout().search(RESULT))
    } finally {
      await pretty.cleanup()
    }
  })
})

describe("stormbot start: the terminal's output goes away", () => {
  it("stdout closed by the reader (`| head -1`): no crash on EPIPE; one log line, not an error per reply; exits 0", async () => {
    const bot = spawnCli(["start", "--config", config.path], { stdin: "open" })
    bot.child.stdin!.write("!st2 run echo 1 on localhost\n")
    // The first command's result is printed before the reader leaves, so nothing of it meets EPIPE.
    await bot.waitFor("stdout", (t) => t.includes("localhost: 1"))
    bot.child.stdout!.destroy()
    // Written after the reader left: its ack meets EPIPE, its result a closed terminal.
    bot.child.stdin!.end("!st2 run echo 2 on localhost\n")
    const exit = await bot.exited
    expect(bot.stderr()).not.toContain("Unhandled 'error' event")
    expect(exit, bot.stderr()).toEqual({ code: 0, signal: null })
    expect(logMessages(bot.stderr()).filter((m) => m.startsWith("the terminal's output is closed"))).toEqual([
      "the terminal's output is closed (write EPIPE): stopped reading input; replies from now on are dropped",
    ])
    expect(logMessages(bot.stderr())).not.toContain("chat message not delivered")
    expect(logMessages(bot.stderr())).toContain("supervisor stopped")
  })
})
