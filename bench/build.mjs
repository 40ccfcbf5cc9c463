// `npm run bench`: bundles a bench entry (default `bench/loop.bench.ts`) with esbuild into
// node_modules/.cache/stormbot-bench/ so the bench runs under plain `node`, without tsx's
// in-process compilation (its ESM hooks and their worker thread cost ~70 MB of RSS and CPU that a
// deployed bot need not pay). Our sources are bundled; packages stay external, so the bench loads
// the same effect/xstate/undici/nunjucks files as the bot does.
// Usage: node bench/build.mjs [entry.ts ...] → prints the path of each bundle.
import { readFile } from "node:fs/promises"
import { basename, resolve } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { build } from "esbuild"

const root = resolve(fileURLToPath(import.meta.url), "../..")
const entries = (process.argv.length > 2 ? process.argv.slice(2) : ["bench/loop.bench.ts"]).map((e) =>
  resolve(root, e),
)
const outdir = resolve(root, "node_modules/.cache/stormbot-bench")

await build({
  entryPoints: entries,
  outdir,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: "linked",
  logLevel: "warning",
  plugins: [
    {
      // Files read next to a module of src/ (`new URL("./x.yaml", import.meta.url)`) stay where
      // they are. Bench files keep the bundle's own URL (to find a bundled worker next to them).
      name: "source-import-meta-url",
      setup(b) {
        b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
          const text = await readFile(args.path, "utf8")
          const url = JSON.stringify(pathToFileURL(args.path).href)
          return { contents: text.replaceAll("import.meta.url", url), loader: "ts" }
        })
      },
    },
  ],
})
for (const entry of entries)
  process.stdout.write(`${resolve(outdir, basename(entry).replace(/\.ts$/, ".mjs"))}\n`)
