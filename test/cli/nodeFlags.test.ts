import { readFileSync } from "node:fs"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { killLeftovers, repoRoot, spawnCli } from "./cliProcess.ts"

afterEach(killLeftovers)

const shebangFlags = () => {
  const first = readFileSync(join(repoRoot, "bin/stormbot.js"), "utf8").split("\n")[0]!
  return first.replace(/^#!\/usr\/bin\/env -S node\s*/, "").trim()
}

describe("bin/stormbot.js", () => {
  it("runs node with the V8 flags that `npm run bench` measures", () => {
    const flags = shebangFlags()
    expect(flags).toContain("--max-semi-space-size=")
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      scripts: Record<string, string>
    }
    expect(pkg.scripts.bench).toContain(`node ${flags} node_modules/.cache/stormbot-bench/loop.bench.mjs`)
  })

  it("starts through its shebang (the flags are accepted)", async () => {
    const help = spawnCli(["--help"], { command: join(repoRoot, "bin/stormbot.js") })
    expect(await help.exited, help.stderr()).toEqual({ code: 0, signal: null })
    expect(help.stdout()).toContain("Usage: stormbot <command>")
  })
})
