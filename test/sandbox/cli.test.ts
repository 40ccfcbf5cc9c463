import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fetch } from "undici"
import { afterEach, describe, expect, it } from "vitest"

const run = (args: string[]) =>
  spawn(process.execPath, ["--import", "tsx", "src/main.ts", "sandbox", ...args], {
    cwd: join(import.meta.dirname, "../.."),
    stdio: ["ignore", "pipe", "pipe"],
  })

const finished = (child: ChildProcess) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    let stdout = ""
    let stderr = ""
    child.stdout!.on("data", (d) => {
      stdout += d
    })
    child.stderr!.on("data", (d) => {
      stderr += d
    })
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

let child: ChildProcess | undefined
afterEach(() => {
  if (child !== undefined && child.exitCode === null) child.kill("SIGKILL")
  child = undefined
})

describe("stormbot sandbox (CLI)", () => {
  it("prints its URLs and credentials, serves, and stops on SIGINT with exit 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sandbox-cli-"))
    const users = join(dir, "users.yaml")
    writeFileSync(
      users,
      "users:\n  - name: bot\n    password: 'p:w'\n    api_keys: [cli-key]\n    is_service: true\n",
    )
    child = run(["--port", "0", "--users", users, "--token-ttl", "120", "--result-delay", "1"])
    const done = finished(child)
    let out = ""
    await new Promise<void>((resolve) => {
      child!.stdout!.on("data", (d) => {
        out += d
        if (out.includes("stream URL")) resolve()
      })
    })
    expect(out).toContain("NOT StackStorm")
    const base = /base URL:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!
    expect(out).toContain(`${base}/auth/v1`)
    expect(out).toContain(`${base}/api/v1`)
    expect(out).toContain(`${base}/stream/v1/stream`)
    expect(out).toContain("bot / p:w")
    expect(out).toContain("cli-key")
    const r = await fetch(`${base}/api/v1/user`, { headers: { "St2-Api-Key": "cli-key" } })
    expect(((await r.json()) as { username: string }).username).toBe("bot")
    const t = await fetch(`${base}/auth/v1/tokens`, {
      method: "POST",
      headers: {
        Authorization: `Basic ${Buffer.from("bot:p:w").toString("base64")}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify({ ttl: 121 }),
    })
    expect(t.status).toBe(400)
    child.kill("SIGINT")
    const { code } = await done
    expect(code).toBe(0)
    await expect(fetch(`${base}/api/v1/user`)).rejects.toThrow()
  }, 30_000)

  it.each([
    [["--port", "abc"], /--port must be an integer/],
    [["--port", "70000"], /--port must be <= 65535/],
    [["--token-ttl", "0"], /--token-ttl must be an integer >= 1/],
    [["--result-delay", "-1"], /result-delay/],
    [["--aliases", "/nonexistent/aliases.yaml"], /cannot read the aliases file \/nonexistent\/aliases\.yaml/],
    [["--bogus"], /Unknown option '--bogus'/],
  ])(
    "%j → exit 2 with a clear message",
    async (args, message) => {
      child = run(args)
      const { code, stderr } = await finished(child)
      expect(code).toBe(2)
      expect(stderr).toMatch(message)
    },
    30_000,
  )

  it("an invalid users file → exit 2 naming the problem", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sandbox-cli-"))
    const users = join(dir, "users.yaml")
    writeFileSync(users, "users:\n  - name: a\n")
    child = run(["--users", users])
    const { code, stderr } = await finished(child)
    expect(code).toBe(2)
    expect(stderr).toContain(`${users} is not a sandbox users file`)
    expect(stderr).toContain("password")
  }, 30_000)
})
