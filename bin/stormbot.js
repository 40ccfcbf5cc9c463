#!/usr/bin/env -S node --max-semi-space-size=2 --heap-growing-percent=5 --v8-pool-size=1
// Installed entry point. Runs the bundle `npm run build` made (dist/main.mjs: what operators
// should run, see docs/operations.md), else the TypeScript sources through tsx's loader.
// The V8 flags above keep a burst's memory small (a 2,000-command burst peaks at ~93 MB of RSS
// instead of ~145 MB, for ~15% less throughput); `npm run bench` measures the bot as this line
// runs it, and with plain `node`. `node dist/main.mjs ...` runs without them.
import { existsSync } from "node:fs"

const bundle = new URL("../dist/main.mjs", import.meta.url)
if (existsSync(bundle)) {
  await import(bundle.href)
} else {
  const { register } = await import("tsx/esm/api")
  register()
  await import("../src/main.ts")
}
