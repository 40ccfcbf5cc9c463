import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { bundle } from "../../scripts/build.mjs"
import { killLeftovers, repoRoot, spawnCli } from "./cliProcess.ts"

afterEach(killLeftovers)

describe("npm run build", () => {
  it("bundles a stormbot that runs the demo under plain node (assets beside it, chat SDKs left out)", async () => {
    // Inside the repository, as dist/ is: the external packages resolve from its node_modules.
    const cache = join(repoRoot, "node_modules", ".cache")
    mkdirSync(cache, { recursive: true })
    const out = mkdtempSync(join(cache, "stormbot-dist-"))
    try {
      await bundle({ entryPoints: ["src/main.ts"], outdir: out })
      // Loaded at start by every command: none of the optional packages.
      const entry = readFileSync(join(out, "main.mjs"), "utf8")
      for (const pkg of ["undici", "@slack/bolt", "discord.js", "nunjucks"])
        expect(entry.includes(`from "${pkg}"`), pkg).toBe(false)
      const demo = spawnCli(["demo", "--result-delay", "20"], {
        script: join(out, "main.mjs"),
        stdin: "!st2 run date on localhost\n",
      })
      expect(await demo.exited, demo.stderr()).toEqual({ code: 0, signal: null })
      const text = demo.stdout()
      const ack = text.indexOf("stormbot> Running `date` on localhost...")
      expect(ack, text).toBeGreaterThanOrEqual(0)
      expect(text.slice(ack), text).toMatch(
        /stormbot> localhost: \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d UTC \d{4}/,
      )
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  })
})
