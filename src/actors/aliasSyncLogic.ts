import { Effect, Runtime } from "effect"
import { fromPromise } from "xstate"
import { AliasStore } from "../bot/AliasStore.ts"
import { type AliasLoadOutput, aliasSyncMachine } from "../machines/aliasSyncMachine.ts"
import { St2Client } from "../st2/St2Client.ts"
import type { BotCredential } from "../st2/St2Credential.ts"
import { describeSt2Error } from "../st2/St2Error.ts"
import { withBotCredential } from "../st2/withBotCredential.ts"

/**
 * One alias load: every page from StackStorm, the index rebuilt and published. A failure
 * publishes nothing, so the last good set keeps serving. Rejected formats and undecodable
 * aliases are logged when they change, not on every refresh.
 */
export const loadAliases = (seen: { rejected: string }) =>
  Effect.gen(function* () {
    const client = yield* St2Client
    const store = yield* AliasStore
    const list = yield* withBotCredential((c) => client.listAliases(c))
    const set = yield* store.publish(list.aliases)
    const rejected = [
      ...set.index.rejected.map((r) => r.message),
      ...list.skipped.map((s) => `alias ${s.ref ?? "(unnamed)"} skipped: ${s.detail}`),
    ]
    const key = rejected.join("\n")
    if (key !== seen.rejected) {
      seen.rejected = key
      for (const line of rejected) yield* Effect.logWarning(line)
    }
    const output: AliasLoadOutput = {
      aliases: set.aliases,
      formats: set.index.size,
      rejected: rejected.length,
    }
    yield* Effect.logDebug("aliases loaded").pipe(Effect.annotateLogs({ ...output }))
    return output
  }).pipe(
    Effect.tapError(() => Effect.flatMap(AliasStore, (store) => store.loadFailed)),
    Effect.tapError((e) =>
      Effect.logWarning(
        `cannot load aliases from StackStorm (${e._tag === "CredentialUnavailable" ? e.message : describeSt2Error(e)}); keeping the last good set`,
      ),
    ),
    Effect.annotateLogs("actor", "aliasSync"),
  )

/** The alias-sync machine with its `load` child running on `runtime`. */
export const aliasSyncLogic = (runtime: Runtime.Runtime<St2Client | BotCredential | AliasStore>) => {
  const seen = { rejected: "" }
  return aliasSyncMachine.provide({
    actors: {
      load: fromPromise<AliasLoadOutput>(({ signal }) =>
        Runtime.runPromise(runtime)(loadAliases(seen), { signal }),
      ),
    },
  })
}
