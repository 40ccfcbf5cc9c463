// `npm run build`: bundles stormbot into dist/stormbot.mjs, which `bin/stormbot.js` runs when it
// exists (else it runs the TypeScript sources through tsx). The bundle is what operators should
// run: no compiler in the process (tsx costs ~70 MB of RSS) and only the parts of effect and
// xstate stormbot uses (the full effect index alone is ~40 MB of RSS once loaded).
// Packages that are large, optional or carry their own assets stay external and load from
// node_modules when used: the chat SDKs (only when configured), nunjucks (the sandbox only).
// `bench/build.mjs` bundles the benchmark with the same options, so it measures this build.
import { copyFile, mkdir, readFile } from "node:fs/promises"
import { resolve } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { build } from "esbuild"

export const root = resolve(fileURLToPath(import.meta.url), "../..")

/** Not bundled: optional, large or asset-carrying packages, loaded from node_modules when used. */
export const external = [
  "@slack/bolt",
  "discord.js",
  "nunjucks",
  "undici",
  "ws",
  "@statelyai/inspect",
  "tsx",
  "esbuild",
]

/** Files read next to a module of src/ at run time, copied beside the bundle. */
const assets = ["src/sandbox/defaultAliases.yaml"]

/**
 * Bundles `entryPoints` (paths relative to the repository) into `outdir` as `.mjs` files.
 * `keepSourceUrls`: `import.meta.url` in src/ keeps pointing at the source file (for bundles
 * that are not shipped, like the benchmark's), instead of at the bundle with assets beside it.
 */
export const bundle = async ({ entryPoints, outdir, keepSourceUrls = false }) => {
  await mkdir(outdir, { recursive: true })
  await build({
    entryPoints: entryPoints.map((e) => resolve(root, e)),
    outdir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external,
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    sourcemap: "linked",
    logLevel: "warning",
    // Whitespace and syntax only, names kept (readable stack traces, with the linked source maps):
    // V8 keeps every loaded module's source in memory, so the smaller text is ~4 MB less RSS.
    minifyWhitespace: true,
    minifySyntax: true,
    // Some bundled CommonJS packages call require(); give the ESM bundle one.
    banner: {
      js: "import { createRequire as __stormbotRequire } from 'node:module'; const require = __stormbotRequire(import.meta.url);",
    },
    plugins: keepSourceUrls
      ? [
          {
            name: "source-import-meta-url",
            setup(b) {
              b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
                const text = await readFile(args.path, "utf8")
                const url = JSON.stringify(pathToFileURL(args.path).href)
                return { contents: text.replaceAll("import.meta.url", url), loader: "ts" }
              })
            },
          },
        ]
      : [],
  })
  // Beside the entry and beside the chunks: the module reading one may end up in either.
  if (!keepSourceUrls)
    for (const dir of [outdir, resolve(outdir, "chunks")]) {
      await mkdir(dir, { recursive: true })
      for (const asset of assets)
        await copyFile(resolve(root, asset), resolve(dir, asset.replace(/.*\//, "")))
    }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = resolve(root, "dist")
  await bundle({ entryPoints: ["src/main.ts"], outdir })
  process.stdout.write(`${resolve(outdir, "main.mjs")}\n`)
}
