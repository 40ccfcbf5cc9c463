/**
 * `npm run bench:match`: builds an AliasIndex over 10,000 realistic formats and prints, as its
 * last lines, the figures issue #3 asks for. Prints numbers; asserts nothing about time.
 * Targets (2-core machine): build ≤ 300 ms, hit median ≤ 20 µs, miss median ≤ 10 µs,
 * heap ≤ 50 MB, no lookup after a rebuild over 5 ms.
 */
import { availableParallelism, loadavg } from "node:os"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { AliasIndex } from "../src/aliases/AliasIndex.ts"
import { buildCorpus } from "./matchCorpus.ts"

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

const now = () => Number(process.hrtime.bigint()) / 1e3 // µs

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

const timeLookups = (index: AliasIndex, command: string, n: number) => {
  const samples: Array<number> = []
  for (let i = 0; i < n; i++) {
    const t = now()
    index.match(command)
    samples.push(now() - t)
  }
  samples.sort((a, b) => a - b)
  return { median: percentile(samples, 50), p99: percentile(samples, 99) }
}

const corpus = buildCorpus(10_000)

// Heap used by one index: measured before anything else is cached.
gc()
const heapBefore = process.memoryUsage().heapUsed
const firstCpu = process.cpuUsage()
let t0 = now()
let index = AliasIndex.build(corpus.aliases)
const firstBuildMs = (now() - t0) / 1000
const firstUsed = process.cpuUsage(firstCpu)
const firstBuildCpuMs = (firstUsed.user + firstUsed.system) / 1000
gc()
const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024

const hit = index.match(corpus.hitCommand)
if (hit._tag !== "Matched") throw new Error(`the hit command did not match: ${JSON.stringify(hit)}`)
const miss = index.match(corpus.missCommand)
if (miss._tag !== "NoMatch") throw new Error("the miss command matched")

// Wall time, and the CPU time of this process: the machine may be shared, CPU time is not inflated
// by it (it counts V8's helper threads too, so on an idle machine it can exceed wall time).
const builds: Array<number> = []
const buildCpu: Array<number> = []
for (let i = 0; i < 5; i++) {
  const cpu = process.cpuUsage()
  t0 = now()
  index = AliasIndex.build(corpus.aliases)
  builds.push((now() - t0) / 1000)
  const used = process.cpuUsage(cpu)
  buildCpu.push((used.user + used.system) / 1000)
}
builds.sort((a, b) => a - b)
buildCpu.sort((a, b) => a - b)

// The slowest single lookup right after a rebuild (fresh RegExp objects, cold caches).
let slowestAfterRebuild = 0
for (let i = 0; i < 5; i++) {
  index = AliasIndex.build(corpus.aliases)
  for (const c of corpus.mixedCommands) {
    const t = now()
    index.match(c)
    slowestAfterRebuild = Math.max(slowestAfterRebuild, now() - t)
  }
}
t0 = now()
const refreshed = AliasIndex.build(corpus.aliases, { reuse: index })
const refreshMs = (now() - t0) / 1000
index = refreshed

timeLookups(index, corpus.hitCommand, 2000) // warm-up
const hitT = timeLookups(index, corpus.hitCommand, 20_000)
const missT = timeLookups(index, corpus.missCommand, 20_000)

console.log(
  `formats: ${corpus.formatCount} in ${corpus.aliases.length} aliases; indexed ${index.size}, rejected ${index.rejected.length}`,
)
console.log(`rebuild reusing the previous index's compiled formats: ${refreshMs.toFixed(1)} ms`)
console.log(`load average: ${loadavg()[0]!.toFixed(2)} on ${availableParallelism()} cores`)
console.log(
  `index build: ${percentile(builds, 50).toFixed(1)} ms median of 5 (CPU ${percentile(buildCpu, 50).toFixed(1)} ms), ` +
    `${firstBuildMs.toFixed(1)} ms for the very first, cold (CPU ${firstBuildCpuMs.toFixed(1)} ms) (target ≤ 300 ms)`,
)
console.log(
  `hit (last alias) lookup: median ${hitT.median.toFixed(1)} µs, p99 ${hitT.p99.toFixed(1)} µs (target median ≤ 20 µs)`,
)
console.log(
  `miss lookup: median ${missT.median.toFixed(1)} µs, p99 ${missT.p99.toFixed(1)} µs (target median ≤ 10 µs)`,
)
console.log(`heap used by the index: ${heapMb.toFixed(1)} MB (target ≤ 50 MB)`)
console.log(
  `slowest lookup right after a rebuild: ${(slowestAfterRebuild / 1000).toFixed(2)} ms (target ≤ 5 ms)`,
)
