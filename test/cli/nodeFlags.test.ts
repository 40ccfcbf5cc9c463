import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { killLeftovers, repoRoot, spawnCli } from "./cliProcess.ts"

afterEach(killLeftovers)

/** The V8 flags `bin/stormbot.js` runs node with (its `#!/usr/bin/env -S node ...` line). */
const launcherFlags = () => {
  const first = readFileSync(join(repoRoot, "bin/stormbot.js"), "utf8").split("\n")[0]!
  const line = /^#!\/usr\/bin\/env -S node (.+)$/.exec(first)
  if (line === null) throw new Error(`bin/stormbot.js's first line is not an env -S node shebang: ${first}`)
  return line[1]!
}

describe("bin/stormbot.js", () => {
  it("runs node with the memory-lean flags that `npm run bench` measures first and docs/operations.md shows", () => {
    const flags = launcherFlags()
    expect(flags).toContain("--max-semi-space-size=")
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      scripts: Record<string, string>
    }
    const runs = pkg.scripts.bench!.split("&&").map((s) => s.trim())
    expect(runs[1]).toBe(`node ${flags} node_modules/.cache/stormbot-bench/loop.bench.mjs`)
    // And once as plain node, for comparison.
    expect(runs[2]).toBe("node node_modules/.cache/stormbot-bench/loop.bench.mjs")
    const doc = readFileSync(join(repoRoot, "docs/operations.md"), "utf8")
    expect(doc).toContain(`node ${flags} dist/main.mjs`)
  })

  it("starts through its shebang", async () => {
    const help = spawnCli(["--help"], { command: join(repoRoot, "bin/stormbot.js") })
    expect(await help.exited, help.stderr()).toEqual({ code: 0, signal: null })
    expect(help.stdout()).toContain("Usage: stormbot <command>")
  })

  it("is node with those flags once started (env -S splits the shebang line)", async () => {
    // `demo` with stdin open keeps running; its command line is read from /proc, then it is stopped.
    const child = spawn(join(repoRoot, "bin/stormbot.js"), ["demo"], { cwd: repoRoot, stdio: "pipe" })
    try {
      let argv: Array<string> = []
      // env replaces itself with node (same pid): poll until the exec happened.
      for (let i = 0; i < 500 && !argv[0]?.endsWith("node"); i++) {
        await new Promise((r) => setTimeout(r, 10))
        argv = readFileSync(`/proc/${child.pid}/cmdline`, "utf8")
          .split("\0")
          .filter((a) => a !== "")
      }
      expect(argv[0]).toMatch(/node$/)
      expect(argv.slice(1, -2)).toEqual(launcherFlags().split(" "))
      expect(argv.slice(-2)).toEqual([join(repoRoot, "bin/stormbot.js"), "demo"])
    } finally {
      child.kill("SIGTERM")
      await new Promise((r) => child.once("close", r))
    }
  })
})
