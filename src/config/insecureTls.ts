import { Data } from "effect"
import type { AdapterDefinition } from "../adapters/AdapterDefinition.ts"
import { ADAPTERS, type AdapterConfig } from "../adapters/adapterRegistry.ts"
import type { AdapterTlsConfig } from "../adapters/AdapterTls.ts"
import type { ConfigProblem } from "./ConfigError.ts"
import type { Env } from "./interpolateEnv.ts"

/**
 * Node's process-wide switch: when it is exactly `"0"`, every TLS connection that does not set
 * `rejectUnauthorized` itself accepts any certificate. Every `st2chatops.env` sets it.
 */
export const TLS_ENV_VARIABLE = "NODE_TLS_REJECT_UNAUTHORIZED"

export const envDisablesTls = (env: Env): boolean => env[TLS_ENV_VARIABLE] === "0"

/** The TLS connections one adapter's SDK opens, by name, from its registry entry (none for the terminal). */
export const tlsConnectionsOf = (a: AdapterConfig): ReadonlyArray<string> => {
  const definition: AdapterDefinition | undefined = ADAPTERS.find((d) => d.type === a.type)
  return definition?.tls?.connections(a) ?? []
}

/** An adapter whose entry takes `tls`: one whose SDK opens connections to the platform. */
type NetworkAdapter = Extract<AdapterConfig, { readonly tls: AdapterTlsConfig }>
const isNetwork = (a: AdapterConfig): a is NetworkAdapter => "tls" in a && a.tls !== undefined

/**
 * The adapters `NODE_TLS_REJECT_UNAUTHORIZED=0` reaches when the configuration opts in: the
 * network adapters whose `tls` sets neither `verify` nor `ca_file`. An adapter that sets them
 * keeps them whatever the variable says.
 */
export const adaptersReachedByTlsEnv = (
  adapters: ReadonlyArray<AdapterConfig>,
): ReadonlyArray<NetworkAdapter> => adapters.filter(isNetwork).filter((a) => !a.tls.explicit)

const list = (adapters: ReadonlyArray<AdapterConfig>) =>
  adapters.map((a) => `adapter \`${a.name}\` (${tlsConnectionsOf(a).join(", ")})`).join("; ")

const ST2_NOT_AFFECTED =
  "stormbot's StackStorm client is not affected: it passes its own TLS options (stackstorm.verify_cert, stackstorm.ca_cert)"

/** Which connections the variable reaches; `refused`: said of a start it stopped (conditional). */
const reachedText = (adapters: ReadonlyArray<AdapterConfig>, refused: boolean): string => {
  const reached = adaptersReachedByTlsEnv(adapters)
  const kept = adapters.filter(isNetwork).filter((a) => a.tls.explicit)
  const keep =
    kept.length === 0
      ? ""
      : `; ${kept.map((a) => `adapter \`${a.name}\``).join(", ")} ${kept.length === 1 ? "sets tls and keeps" : "set tls and keep"} it`
  if (reached.length === 0)
    return refused
      ? `no connection stormbot configures would be affected${keep}, but any other TLS connection in this process would accept any certificate`
      : `no connection stormbot configures is affected${keep}, but any other TLS connection in this process accepts any certificate`
  return `${refused ? "it would turn" : "it turns"} off certificate checks on ${list(reached)}${keep}`
}

export interface InsecureTlsFindings {
  /** `NODE_TLS_REJECT_UNAUTHORIZED=0` without the opt-in: the bot must not start. */
  readonly problem?: ConfigProblem | undefined
  /** The opt-in is set: what it weakens (or that it is useless). */
  readonly warning?: ConfigProblem | undefined
}

/**
 * What `NODE_TLS_REJECT_UNAUTHORIZED` in `env` means for a configuration's connections. Set to
 * `0` without `insecure_tls_for_all: true` it is a problem (start refuses); with the opt-in it
 * is a warning naming the connections that accept any certificate. The StackStorm client is
 * never affected: it always passes its own TLS options.
 */
export const insecureTlsFindings = (o: {
  readonly adapters: ReadonlyArray<AdapterConfig>
  readonly optIn: boolean
  readonly env: Env
}): InsecureTlsFindings => {
  const path = "insecure_tls_for_all"
  if (envDisablesTls(o.env)) {
    if (!o.optIn)
      return {
        problem: {
          path,
          message: `${TLS_ENV_VARIABLE}=0 is set, which makes Node accept any TLS certificate on connections that do not set their own TLS options: ${reachedText(o.adapters, true)}. ${ST2_NOT_AFFECTED}`,
          hint: `unset ${TLS_ENV_VARIABLE} (remove it from st2chatops.env or the service's environment; if it was there for a private CA, give the adapter tls.ca_file instead), or accept unchecked certificates on those connections with insecure_tls_for_all: true`,
        },
      }
    return {
      warning: {
        path,
        message: `is true and ${TLS_ENV_VARIABLE}=0 is set: ${reachedText(o.adapters, false)}. ${ST2_NOT_AFFECTED}`,
        hint: `to check certificates again, unset ${TLS_ENV_VARIABLE} and remove insecure_tls_for_all (for a private CA, give the adapter tls.ca_file)`,
      },
    }
  }
  if (o.optIn)
    return {
      warning: {
        path,
        message: `is true but ${TLS_ENV_VARIABLE} is not 0, so it changes nothing`,
        hint: `remove it, so that setting ${TLS_ENV_VARIABLE}=0 later is refused again`,
      },
    }
  return {}
}

/** Running the bot was refused: `NODE_TLS_REJECT_UNAUTHORIZED=0` without `insecure_tls_for_all: true`. */
export class InsecureTlsRefused extends Data.TaggedError("InsecureTlsRefused")<{
  readonly problem: ConfigProblem
}> {
  override get message(): string {
    return `${this.problem.message}\n  hint: ${this.problem.hint ?? ""}`
  }
}
