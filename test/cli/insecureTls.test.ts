import { Effect, Exit } from "effect"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { serveBot } from "../../src/app/serveBot.ts"
import { type SandboxHandle, startSandbox } from "../../src/sandbox/Sandbox.ts"
import { decodeOk, minimal } from "../config/helpers.ts"
import { makeFakeChatAdapter } from "../fakes/FakeChatAdapter.ts"
import { type FakeSlack, startFakeSlack } from "../fakes/FakeSlack.ts"
import { killLeftovers, sandboxConfig, spawnCli, writeConfig } from "./cliProcess.ts"

// st2chatops.env sets NODE_TLS_REJECT_UNAUTHORIZED=0: the bot refuses to run with it unless the
// configuration says insecure_tls_for_all: true. The variable is given to the spawned processes
// only (and to serveBot as its `env`), never set in this test process.
const INSECURE = { NODE_TLS_REJECT_UNAUTHORIZED: "0" }

let sb: SandboxHandle
let slack: FakeSlack
beforeAll(async () => {
  sb = await startSandbox({ resultDelayMs: 20 })
  slack = await startFakeSlack()
})
afterAll(async () => {
  await slack?.close()
  await sb?.stop()
})
afterEach(killLeftovers)

/** The sandbox's configuration with the terminal, a Slack adapter on the fake and a Discord one. */
const chatConfig = (extra = "") =>
  writeConfig(
    [
      extra,
      sandboxConfig(sb.url),
      "adapters:",
      "  - type: text",
      "  - type: slack",
      `    api_url: ${slack.url}`,
      `    bot_token: ${slack.botToken}`,
      `    app_token: ${slack.appToken}`,
      "  - type: discord",
      "    name: discord-eu",
      "    token: not-used",
      "    api_url: http://127.0.0.1:9/api",
    ].join("\n"),
  )

describe("NODE_TLS_REJECT_UNAUTHORIZED=0", () => {
  it("start refuses (exit 2) before connecting anything, naming the affected connections", async () => {
    const config = await chatConfig()
    try {
      const bot = spawnCli(["start", "--config", config.path], { env: INSECURE, stdin: "!st2help\n" })
      const exit = await bot.exited
      const err = bot.stderr()
      expect(exit, err).toEqual({ code: 2, signal: null })
      expect(err).toContain(`the configuration in ${config.path} has 1 problem:`)
      expect(err).toContain("  - insecure_tls_for_all: NODE_TLS_REJECT_UNAUTHORIZED=0 is set")
      expect(err).toContain(
        "adapter `slack` (the Slack Web API, the Socket Mode WebSocket); adapter `discord-eu` (Discord's REST API, the Discord gateway WebSocket)",
      )
      expect(err).toContain("stormbot's StackStorm client is not affected")
      expect(err).toMatch(
        /hint: unset NODE_TLS_REJECT_UNAUTHORIZED \(remove it from st2chatops\.env.*tls\.ca_file.*insecure_tls_for_all: true/,
      )
      expect(bot.stdout()).toBe("")
      expect(slack.calls).toEqual([])
    } finally {
      await config.cleanup()
    }
  })

  it("with insecure_tls_for_all: true, start runs and warns once, naming the same connections", async () => {
    const config = await chatConfig("insecure_tls_for_all: true")
    try {
      // Stdin stays open: with chat adapters besides the terminal, the bot runs until a signal.
      const bot = spawnCli(["start", "--config", config.path], { env: INSECURE, stdin: "open" })
      bot.child.stdin!.write("!st2 run date on localhost\n")
      await bot.waitFor("stdout", (t) => /stormbot> localhost: \w{3} \w{3} /.test(t))
      bot.child.kill("SIGTERM")
      const exit = await bot.exited
      const err = bot.stderr()
      expect(exit, err).toEqual({ code: 0, signal: null })
      const warnings = err.split("\n").filter((l) => l.startsWith("  - insecure_tls_for_all:"))
      expect(warnings).toEqual([
        "  - insecure_tls_for_all: is true and NODE_TLS_REJECT_UNAUTHORIZED=0 is set: it turns off certificate checks on " +
          "adapter `slack` (the Slack Web API, the Socket Mode WebSocket); adapter `discord-eu` (Discord's REST API, the Discord gateway WebSocket). " +
          "stormbot's StackStorm client is not affected: it passes its own TLS options (stackstorm.verify_cert, stackstorm.ca_cert)",
      ])
    } finally {
      await config.cleanup()
    }
  })

  it("demo refuses (exit 2) before starting the sandbox, and says how to run it", async () => {
    const demo = spawnCli(["demo"], { env: INSECURE, stdin: "!st2help\n" })
    const exit = await demo.exited
    const err = demo.stderr()
    expect(exit, err).toEqual({ code: 2, signal: null })
    expect(err).toContain("stormbot demo: NODE_TLS_REJECT_UNAUTHORIZED=0 is set")
    expect(err).toContain("env -u NODE_TLS_REJECT_UNAUTHORIZED stormbot demo")
    expect(demo.stdout()).toBe("")
  })

  it("serveBot refuses a configuration built without the environment, before any adapter connects", async () => {
    const { config } = decodeOk(minimal)
    const chat = makeFakeChatAdapter()
    const exit = await Effect.runPromiseExit(
      serveBot({
        config,
        adapters: [chat],
        credential: { _tag: "ApiKey", key: config.stackstorm.apiAuth.key! },
        env: INSECURE,
      }),
    )
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isFailure(exit)) expect(String(exit.cause)).toContain("InsecureTlsRefused")
    expect(chat.sessions().opened).toBe(0)
  })
})
