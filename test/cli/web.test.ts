import { fetch } from "undici"
import { afterEach, describe, expect, it } from "vitest"
import { startSandbox } from "../../src/sandbox/Sandbox.ts"
import { killLeftovers, logMessages, sandboxConfig, spawnCli, writeConfig } from "./cliProcess.ts"

afterEach(killLeftovers)

const SECRET = "cli-test-webhook-secret-0123456789"

describe("stormbot start with web.enabled", () => {
  it("POST /chatops/message with the bearer secret reaches the terminal; a wrong secret is 401 and delivers nothing", async () => {
    const sb = await startSandbox({ resultDelayMs: 20 })
    const config = await writeConfig(
      sandboxConfig(
        sb.url,
        [
          "web:",
          "  enabled: true",
          "  port: 0",
          `  webhook_secret: "${SECRET}"`,
          "adapters:",
          "  - type: text",
          "    name: terminal",
        ].join("\n"),
      ),
    )
    try {
      const bot = spawnCli(["start", "--config", config.path, "--inspect"], { stdin: "open" })
      const err = await bot.waitFor("stderr", (t) => /web server listening on http:\/\/[\d.]+:\d+/.test(t))
      const base = /web server listening on (http:\/\/[\d.]+:\d+)/.exec(err)![1]!
      const post = (secret: string, body: unknown) =>
        fetch(`${base}/chatops/message`, {
          method: "POST",
          headers: { Authorization: `Bearer ${secret}`, "Content-Type": "application/json" },
          body: JSON.stringify(body),
        })

      const wrong = await post("not-the-secret-not-the-secret", { channel: "terminal", message: "intruder" })
      expect(wrong.status).toBe(401)
      expect(wrong.headers.get("www-authenticate")).toMatch(/^Bearer/)

      const ok = await post(SECRET, { channel: "terminal", message: "deploy finished: web 1.2.3" })
      expect(ok.status).toBe(202)
      await bot.waitFor("stdout", (t) => t.includes("stormbot> deploy finished: web 1.2.3"))
      const other = await post(SECRET, { channel: "ops", message: "to another room" })
      expect(other.status).toBe(202)
      await bot.waitFor("stdout", (t) => t.includes("stormbot [#ops]> to another room"))
      const whisper = await post(SECRET, { user: "bob", whisper: true, message: "psst" })
      expect(whisper.status).toBe(202)
      await bot.waitFor("stdout", (t) => t.includes("stormbot (private to bob)> psst"))
      const nowhere = await post(SECRET, { message: "no channel, no user" })
      expect(nowhere.status).toBe(400)
      // GET /health reports the named adapter among the supervisor's children.
      const health = (await (await fetch(`${base}/health`)).json()) as { supervisor: Record<string, string> }
      expect(health.supervisor["adapter:terminal"]).toBe("running")

      bot.child.kill("SIGTERM")
      expect(await bot.exited, bot.stderr()).toEqual({ code: 0, signal: null })
      expect(bot.stdout()).not.toContain("intruder")
      // Neither the secret nor the wrong one reaches the log.
      expect(bot.stderr()).not.toContain(SECRET)
      expect(bot.stderr()).not.toContain("not-the-secret")
      expect(logMessages(bot.stderr())).toContain("supervisor stopped")
      expect(logMessages(bot.stderr())).toContain(
        'adapter:terminal: {"session":"connecting"} --STATUS--> {"session":"connected"}',
      )
      expect(bot.stdout()).not.toContain("no channel, no user")
      // The web server closed with the process.
      await expect(fetch(`${base}/health`)).rejects.toThrow()
    } finally {
      await config.cleanup()
      await sb.stop()
    }
  })
})
