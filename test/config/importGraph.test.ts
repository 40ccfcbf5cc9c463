import { readdirSync, readFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { describe, expect, it } from "vitest"

/**
 * The import graph of `src`, read from the sources: every `import`/`export ... from` (types
 * included) and every dynamic `import("...")`. Relative specifiers are edges between files; bare
 * ones are packages.
 */
const root = join(import.meta.dirname, "..", "..")
const src = join(root, "src")
const filesOf = (d: string): string[] =>
  readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesOf(join(d, e.name)) : e.name.endsWith(".ts") ? [join(d, e.name)] : [],
  )
const STATIC = /^\s*(?:import|export)\s[^"'`;]*?\sfrom\s+["']([^"']+)["']|^\s*import\s+["']([^"']+)["']/gm
/** `import type` / `export type` statements are erased when the code runs (`import { type X }` is not). */
const TYPE_ONLY = /^\s*(?:import|export)\s+type\s[^"'`;]*?\sfrom\s+["']([^"']+)["']/gm
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g
interface Node {
  readonly static: ReadonlyArray<string>
  /** The static imports that remain at run time (not `import type`). */
  readonly runtime: ReadonlyArray<string>
  readonly dynamic: ReadonlyArray<string>
  readonly packages: ReadonlyArray<string>
  readonly lines: number
}
const graph = new Map<string, Node>()
for (const file of filesOf(src)) {
  const text = readFileSync(file, "utf8")
  const specs = (re: RegExp, t = text) => [...t.matchAll(re)].map((m) => (m[1] ?? m[2])!)
  const running = specs(STATIC, text.replace(TYPE_ONLY, ""))
  const local = (s: string) => s.startsWith(".")
  const at = (s: string) => resolve(dirname(file), s)
  graph.set(file, {
    static: specs(STATIC).filter(local).map(at),
    runtime: running.filter(local).map(at),
    dynamic: specs(DYNAMIC).filter(local).map(at),
    packages: running.filter((s) => !local(s)),
    lines: text.split("\n").length,
  })
}
const name = (f: string) => relative(root, f)
const inArea = (f: string) => /^src\/(config|adapters)\//.test(name(f))

/** Every cycle (as the list of files around it) through static and dynamic imports. */
const cycles = (): string[][] => {
  const found: string[][] = []
  const state = new Map<string, "open" | "done">()
  const stack: string[] = []
  const visit = (f: string) => {
    state.set(f, "open")
    stack.push(f)
    const node = graph.get(f)
    for (const next of [...(node?.static ?? []), ...(node?.dynamic ?? [])]) {
      if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next].map(name))
      else if (state.get(next) === undefined && graph.has(next)) visit(next)
    }
    stack.pop()
    state.set(f, "done")
  }
  for (const f of graph.keys()) if (state.get(f) === undefined) visit(f)
  return found
}

/** The files a module loads when it is imported (static imports that remain at run time, transitively). */
const staticClosure = (start: string): Set<string> => {
  const seen = new Set<string>()
  const walk = (f: string) => {
    if (seen.has(f)) return
    seen.add(f)
    for (const next of graph.get(f)?.runtime ?? []) walk(next)
  }
  walk(start)
  return seen
}

describe("the import graph of src/config and src/adapters", () => {
  it("has no cycle (types and dynamic imports included)", () => {
    expect(cycles().filter((c) => c.some((f) => inArea(join(root, f))))).toEqual([])
  })

  it("has no file over 300 lines except the SDK adapters themselves", () => {
    const sdkAdapters = new Set([
      "src/adapters/slack/SlackAdapter.ts",
      "src/adapters/discord/DiscordAdapter.ts",
    ])
    const long = [...graph]
      .filter(([f, n]) => inArea(f) && n.lines > 300 && !sdkAdapters.has(name(f)))
      .map(([f, n]) => `${name(f)}: ${n.lines} lines`)
    expect(long).toEqual([])
  })

  it("loading and checking a configuration loads no chat SDK (each backend's code is imported lazily)", () => {
    const loaded = staticClosure(join(src, "config", "loadConfig.ts"))
    for (const f of staticClosure(join(src, "config", "renderEffectiveConfig.ts"))) loaded.add(f)
    for (const f of staticClosure(join(src, "adapters", "makeAdapters.ts"))) loaded.add(f)
    const sdk = [...loaded].flatMap((f) =>
      (graph.get(f)?.packages ?? [])
        .filter((p) => /^(@slack\/|discord\.js|@discordjs\/|undici|ws$)/.test(p))
        .map((p) => `${name(f)} imports ${p}`),
    )
    expect(sdk).toEqual([])
    expect([...loaded].map(name)).not.toContain("src/adapters/slack/SlackAdapter.ts")
  })
})
