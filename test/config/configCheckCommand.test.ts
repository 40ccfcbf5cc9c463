// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about ${VAR} syntax
import { execFile } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const run = promisify(execFile)
const root = join(import.meta.dirname, "..", "..")

/** Runs the real CLI; `env` replaces ST2_*, STORMBOT_* and NODE_TLS_REJECT_UNAUTHORIZED from the outer environment. */
const cli = async (args: ReadonlyArray<string>, env: Record<string, string> = {}, cwd = root) => {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(ST2_|STORMBOT_|VAULT_|NODE_TLS_REJECT_UNAUTHORIZED$)/.test(k),
    ),
  )
  try {
    const r = await run(
      join(root, "node_modules/.bin/tsx"),
      [join(root, "src/main.ts"), "config", "check", ...args],
      {
        cwd,
        env: { ...clean, ...env },
      },
    )
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string }
    return { code: err.code, stdout: err.stdout, stderr: err.stderr }
  }
}

const dir = mkdtempSync(join(tmpdir(), "stormbot-config-"))
const write = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

describe("stormbot config check", () => {
  it("exit 0 and the effective configuration with sources for a valid file", async () => {
    const f = write("ok.yaml", "stackstorm:\n  url: https://st2.example.com\n  api_auth:\n    key: ${KEY}\n")
    const r = await cli(["--config", f], { KEY: "SECRET-KEY-abc123", ST2_ROUTE: "chatops" })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/api_url: https:\/\/st2\.example\.com\/api\/v1 +# file \(stackstorm\.url\)/)
    expect(r.stdout).toMatch(/route_key: chatops +# env ST2_ROUTE/)
    expect(r.stdout).toMatch(/timer_update: 60 +# default/)
    expect(r.stdout).toMatch(/key: <redacted> +# file \(\$\{KEY\}\)/)
    expect(r.stdout + r.stderr).not.toContain("SECRET-KEY-abc123")
  })

  it("exit 2 with every problem on stderr for an invalid file", async () => {
    const f = write(
      "bad.yaml",
      "stackstorm:\n  route_ky: x\n  api_url: nope\n  api_auth:\n    token: ${MISSING_TOKEN}\nlog:\n  level: loud\n",
    )
    const r = await cli(["--config", f])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe("")
    expect(r.stderr).toContain(`the configuration in ${f} has 4 problems`)
    expect(r.stderr).toContain("stackstorm.route_ky: unknown key `route_ky`")
    expect(r.stderr).toContain("hint: did you mean `route_key`?")
    expect(r.stderr).toContain("stackstorm.api_url:")
    expect(r.stderr).toContain("stackstorm.api_auth.token: uses the environment variable MISSING_TOKEN")
    expect(r.stderr).toContain("log.level:")
  })

  it("exit 2 for YAML syntax errors and for a file that does not exist", async () => {
    const bad = await cli(["--config", write("syntax.yaml", "stackstorm:\n  url: [unclosed\n")])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/line \d+, column \d+: YAML syntax error/)
    const missing = await cli(["--config", join(dir, "nope.yaml")])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/cannot read the configuration file: no such file/)
  })

  it("uses STORMBOT_CONFIG, then ./stormbot.yaml, then the environment alone", async () => {
    const f = write("env.yaml", "stackstorm:\n  api_auth: { key: k }\n  route_key: from-env-file\n")
    expect((await cli([], { STORMBOT_CONFIG: f })).stdout).toContain("route_key: from-env-file")
    const cwd = mkdtempSync(join(tmpdir(), "stormbot-cwd-"))
    writeFileSync(join(cwd, "stormbot.yaml"), "stackstorm:\n  api_auth: { key: k }\n  route_key: from-cwd\n")
    expect((await cli([], {}, cwd)).stdout).toContain("route_key: from-cwd")
    const empty = mkdtempSync(join(tmpdir(), "stormbot-none-"))
    const none = await cli([], {}, empty)
    expect(none.code).toBe(2)
    expect(none.stderr).toContain("the environment (no configuration file)")
    expect(none.stderr).toContain("stackstorm.api_auth: no StackStorm credential is configured")
    const st2chatops = await cli(
      [],
      { ST2_API_KEY: "k", ST2_API_URL: "https://h/api", ST2_STREAM_URL: "https://h/stream" },
      empty,
    )
    expect(st2chatops.code).toBe(0)
    expect(st2chatops.stdout).toMatch(/stream_url: https:\/\/h\/stream\/v1 +# env ST2_STREAM_URL/)
  })

  it("exit 2 for bad usage", async () => {
    const r = await cli(["--bogus"])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/Usage: stormbot config check/)
  })
})
