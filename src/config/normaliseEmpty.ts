import { SECRETS_STORES } from "./ConfigFileSchema.ts"
import { type ConfigPath, formatPath } from "./configPath.ts"
import { suggestion } from "./didYouMean.ts"

const isRecord = (u: unknown): u is Record<string, unknown> =>
  u !== null && typeof u === "object" && !Array.isArray(u)

/**
 * YAML `key:` with nothing after it is null. It means "not set", except for the markers whose
 * presence is the setting (`rbac_auth: {standalone:}`, `secrets_store: {cleartext:}`), which mean
 * `{}`. `secrets_store: vault` (err-stackstorm's string form) becomes `{vault: {}}`. In place.
 */
export const normaliseEmpty = (
  node: Record<string, unknown>,
  at: ConfigPath,
  problem: (path: string, message: string, hint?: string) => void,
): void => {
  const here = formatPath(at)
  for (const [k, v] of Object.entries(node)) {
    if (v === null) {
      if (here === "stackstorm.rbac_auth" || here === "stackstorm.secrets_store") node[k] = {}
      else delete node[k]
    } else if (here === "stackstorm" && k === "secrets_store" && typeof v === "string") {
      if ((SECRETS_STORES as ReadonlyArray<string>).includes(v)) node[k] = { [v]: {} }
      else {
        problem(
          "stackstorm.secrets_store",
          `must be one of ${SECRETS_STORES.map((x) => `\`${x}\``).join(", ")}, got \`${v}\``,
          suggestion(v, SECRETS_STORES, "valid values"),
        )
        delete node[k]
      }
    } else if (isRecord(v)) normaliseEmpty(v, [...at, k], problem)
  }
}
