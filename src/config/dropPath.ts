import type { ConfigPath } from "./configPath.ts"

/** Removes the value at `at` (a bad value is reported once, then treated as not set). */
export const dropPath = (tree: Record<string, unknown>, at: ConfigPath): void => {
  if (at.length === 0) {
    for (const k of Object.keys(tree)) delete tree[k]
    return
  }
  let node: unknown = tree
  for (const seg of at.slice(0, -1)) {
    if (node === null || typeof node !== "object") return
    node = (node as Record<string | number, unknown>)[seg]
  }
  if (node !== null && typeof node === "object") {
    const last = at[at.length - 1]!
    if (Array.isArray(node) && typeof last === "number") node[last] = undefined
    else delete (node as Record<string | number, unknown>)[last]
  }
}
