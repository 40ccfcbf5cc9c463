import { readFileSync } from "node:fs"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { killLeftovers, repoRoot, spawnCli } from "./cliProcess.ts"

afterEach(killLeftovers)

/** The memory-lean V8 flags docs/operations.md recommends (the `node --...` line in its code block). */
const documentedFlags = () => {
  const doc = readFileSync(join(repoRoot, "docs/operations.md"), "utf8")
  const line = /node (--max-semi-space-size=\S+ --heap-growing-percent=\S+) bin\/stormbot\.js/.exec(doc)
  if (line === null) throw new Error("docs/operations.md no longer shows the memory-lean flags")
  return line[1]!
}

describe("bin/stormbot.js", () => {
  it("`npm run bench` measures the memory-lean flags docs/operations.md recommends", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      scripts: Record<string, string>
    }
    expect(pkg.scripts.bench).toContain(
      `node ${documentedFlags()} node_modules/.cache/stormbot-bench/loop.bench.mjs`,
    )
  })

  it("starts through its shebang", async () => {
    const help = spawnCli(["--help"], { command: join(repoRoot, "bin/stormbot.js") })
    expect(await help.exited, help.stderr()).toEqual({ code: 0, signal: null })
    expect(help.stdout()).toContain("Usage: stormbot <command>")
  })
})
