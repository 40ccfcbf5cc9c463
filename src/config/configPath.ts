/** A location in the configuration: keys and array indexes. */
export type ConfigPath = ReadonlyArray<string | number>

/** `["adapters", 0, "type"]` → `adapters[0].type`. */
export const formatPath = (path: ConfigPath): string =>
  path.reduce<string>(
    (acc, seg) => (typeof seg === "number" ? `${acc}[${seg}]` : acc === "" ? seg : `${acc}.${seg}`),
    "",
  )
