#!/usr/bin/env node
// Installed entry point. Runs the bundle `npm run build` made (dist/main.mjs: what operators
// should run, see docs/operations.md), else the TypeScript sources through tsx's loader.
// Memory-constrained hosts: `node --max-semi-space-size=2 --heap-growing-percent=5 bin/stormbot.js`
// (docs/operations.md); `npm run bench` measures both ways.
import { existsSync } from "node:fs"

const bundle = new URL("../dist/main.mjs", import.meta.url)
if (existsSync(bundle)) {
  await import(bundle.href)
} else {
  const { register } = await import("tsx/esm/api")
  register()
  await import("../src/main.ts")
}
