import { readFileSync } from "node:fs"

/**
 * CPU time (user + system, ms) of the calling thread, from Linux's /proc/thread-self/stat (10 ms
 * ticks); undefined elsewhere. Unlike event-loop busy time it does not count time the thread
 * was runnable but waiting for a core, which on a loaded 2-core machine is most of the gap.
 */
export const threadCpuMs = (): number | undefined => {
  try {
    const stat = readFileSync("/proc/thread-self/stat", "utf8")
    // Fields after the command name (which may contain spaces) start at field 3; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}
