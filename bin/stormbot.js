#!/usr/bin/env -S node --max-semi-space-size=2 --heap-growing-percent=5
// Installed entry point. Runs the bundle `npm run build` made (dist/main.mjs: what operators
// should run, see docs/operations.md), else the TypeScript sources through tsx's loader.
// The V8 flags above keep a burst's garbage small (peak RSS in `npm run bench` ~110 MB instead
// of ~200 MB, for ~20% fewer commands per second); `npm run bench` runs with the same flags.
import { existsSync } from "node:fs"

const bundle = new URL("../dist/main.mjs", import.meta.url)
if (existsSync(bundle)) {
  await import(bundle.href)
} else {
  const { register } = await import("tsx/esm/api")
  register()
  await import("../src/main.ts")
}
