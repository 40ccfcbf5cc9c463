import { setup } from "xstate"

/** How a chat user's commands authenticate to StackStorm (`rbac_auth`). */
export type AuthMode = "standalone" | "serverside" | "clientside"

export interface AuthSessionInput {
  readonly mode: AuthMode
}

/**
 * A chat user's StackStorm identity. Today every mode resolves to `standalone`: the user's
 * commands run with the bot's credential (err-stackstorm's `standalone`). Per-user credentials
 * add states here without touching the chat session: `serverside` (impersonated token minted
 * by the bot's service account: unauthenticated → authenticating → authenticated → expired)
 * and `clientside` (the user logs in through stormbot's web page: awaitingLogin → authenticated).
 * The command actor asks this actor's state which credential to use.
 */
export const authSessionMachine = setup({
  types: {
    context: {} as { readonly mode: AuthMode },
    input: {} as AuthSessionInput,
  },
}).createMachine({
  id: "authSession",
  context: ({ input }) => ({ mode: input.mode }),
  initial: "standalone",
  states: {
    /** Commands run with the bot's credential. */
    standalone: {},
  },
})
