// `npm run bench`: bundles a bench's entries (default `bench/loop.bench.ts` and the sandbox
// process) into node_modules/.cache/stormbot-bench/ with the options of `npm run build`
// (scripts/build.mjs), so the bench runs what operators run: plain `node`, no compiler in the
// process, effect and xstate bundled. Usage: node bench/build.mjs [entry.ts ...] → prints each bundle's path.
import { basename, resolve } from "node:path"
import { bundle, root } from "../scripts/build.mjs"

const entries =
  process.argv.length > 2 ? process.argv.slice(2) : ["bench/loop.bench.ts", "bench/sandboxProcess.ts"]
const outdir = resolve(root, "node_modules/.cache/stormbot-bench")
await bundle({ entryPoints: entries, outdir })
for (const entry of entries)
  process.stdout.write(`${resolve(outdir, basename(entry).replace(/\.ts$/, ".mjs"))}\n`)
