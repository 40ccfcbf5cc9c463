import { readFileSync } from "node:fs"

/** Reads a file named in the configuration; `reason` is short and never contains the contents. */
export type FileReader = (
  path: string,
) => { readonly ok: true; readonly text: string } | { readonly ok: false; readonly reason: string }

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EISDIR: "it is a directory",
  ENOTDIR: "a part of the path is not a directory",
}

export const nodeFileReader: FileReader = (path) => {
  try {
    return { ok: true, text: readFileSync(path, "utf8") }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error"
    return { ok: false, reason: REASONS[code] ?? code }
  }
}
