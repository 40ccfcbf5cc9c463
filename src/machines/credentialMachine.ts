import { Redacted } from "effect"
import { assign, fromPromise, setup } from "xstate"
import { type CredentialSource, credentialAdvice, describeCredentialSource } from "../st2/CredentialSource.ts"
import type { St2Credential } from "../st2/St2Credential.ts"
import type { UnauthorizedReason } from "../st2/St2Error.ts"
import { backoffDelay } from "./backoffDelay.ts"

/*
 * The bot's StackStorm credential as states. Pure: the actor layer
 * (src/actors/BotCredentialLive.ts) provides `login`, the only child that does I/O.
 * Every wait is a named delay (`renewDelay`, `retryDelay`), so it shows in inspection and tests
 * drive it with SimulatedClock. See docs/machines/credential.md.
 */

/** What `login` is asked to do: turn the configured source into a working credential. */
export interface LoginInput {
  readonly source: CredentialSource
}

/** A working credential. `lifetimeMs` (tokens from a password) schedules the renewal. */
export interface LoginOutput {
  readonly credential: St2Credential
  /** The st2 user the credential authenticates as (for logs). */
  readonly username: string
  /** How long the credential stays valid from now; absent for credentials that do not expire. */
  readonly lifetimeMs?: number | undefined
}

/**
 * How `login` fails. `rejected`: st2 refused the credential or the request (4xx); no retry will
 * help, an operator must act. `unavailable`: st2 is down, slow or broken (network, timeout, 5xx,
 * an unreadable body); retried with backoff.
 */
export interface LoginFailure {
  readonly _tag: "LoginFailure"
  readonly kind: "rejected" | "unavailable"
  /** Safe for logs: no secrets. */
  readonly detail: string
}

export const isLoginFailure = (u: unknown): u is LoginFailure =>
  typeof u === "object" && u !== null && "_tag" in u && u._tag === "LoginFailure"

/** Anything `login` rejected with that is not a `LoginFailure` is a bug; it is retried like an outage. */
const asLoginFailure = (u: unknown): LoginFailure =>
  isLoginFailure(u)
    ? u
    : {
        _tag: "LoginFailure",
        kind: "unavailable",
        detail: `unexpected login failure: ${u instanceof Error ? u.message : String(u)}`,
      }

export interface CredentialTimings {
  /** A token is renewed when this fraction of its lifetime has passed (0.9: at 90%). */
  readonly renewAtFraction: number
  /** Never schedule a renewal sooner than this (a token with a tiny ttl would otherwise spin). */
  readonly minRenewMs: number
  /** First retry after an outage waits between half of this and all of it. */
  readonly retryBaseMs: number
  /**
   * No retry waits longer than this. StackStorm comes back from an outage in seconds; a cap
   * far above that only makes the bot lag behind it.
   */
  readonly retryMaxMs: number
  /**
   * A `RETRY_NOW` (a command is waiting) starts a login at once, but never sooner than this after
   * the last failed one: a stream of commands during an outage costs one login per gap, not one
   * per command.
   */
  readonly retryNowGapMs: number
}

export const defaultCredentialTimings: CredentialTimings = {
  renewAtFraction: 0.9,
  minRenewMs: 1_000,
  retryBaseMs: 1_000,
  retryMaxMs: 10_000,
  retryNowGapMs: 1_000,
}

export interface CredentialMachineInput {
  readonly source: CredentialSource
  readonly timings?: Partial<CredentialTimings> | undefined
  /** Jitter source in [0, 1); `Math.random` unless tests pin it. */
  readonly random?: (() => number) | undefined
}

/** Why the machine is in `failed`: which credential and what to do, ready to log. */
export interface CredentialRejection {
  readonly message: string
}

export interface CredentialMachineContext {
  readonly source: CredentialSource
  readonly timings: CredentialTimings
  readonly random: () => number
  /**
   * The credential believed usable; `get` hands it out in any state but `failed`. Cleared when
   * st2 rejects it, so callers then wait for the renewal. Kept during a scheduled renewal
   * (the old token is still valid then).
   */
  readonly credential: St2Credential | undefined
  readonly username: string | undefined
  readonly lifetimeMs: number | undefined
  /** Consecutive failed logins since the last success. */
  readonly attempt: number
  readonly retryDelayMs: number
  readonly lastFailure: LoginFailure | undefined
  readonly rejection: CredentialRejection | undefined
  /**
   * In `retrying`: whether a `RETRY_NOW` may start a login now. `holding` until `retryNowGap`
   * has passed since the failure; `asked` when one came meanwhile (the login starts when the gap
   * ends, and `get` waits for it); `open` once the gap passed with nobody asking.
   */
  readonly retryNow: "holding" | "asked" | "open"
}

/** A 401 st2 answered to `credential`, reported by whoever used it. */
export interface UnauthorizedEvent {
  readonly type: "UNAUTHORIZED"
  readonly credential: St2Credential
  readonly reason: UnauthorizedReason
}
/**
 * Someone needs a credential now (a chat command arrived) while the machine waits out a
 * backoff: log in at once instead of at the end of `retryDelay` (at the earliest `retryNowGap`
 * after the last failure). Ignored in every other state, so a burst of commands costs one login.
 */
export interface RetryNowEvent {
  readonly type: "RETRY_NOW"
}
export type CredentialMachineEvent = UnauthorizedEvent | RetryNowEvent

/** Same kind and same secret: reports about an older credential are ignored. */
export const sameCredential = (a: St2Credential | undefined, b: St2Credential): boolean => {
  if (a === undefined || a._tag !== b._tag) return false
  return a._tag === "Token"
    ? Redacted.value(a.token) === Redacted.value((b as typeof a).token)
    : Redacted.value(a.key) === Redacted.value((b as typeof a).key)
}

const reasonText: Record<UnauthorizedReason, string> = {
  missing: "st2 saw no credential",
  expired: "the token has expired",
  unknownToken: "st2 does not know the token",
  unknownKey: "st2 does not know the API key",
  disabledKey: "the API key is disabled",
  badCredentials: "the username or password is wrong",
  other: "st2 answered 401",
}

const rejectionOf = (source: CredentialSource, why: string): CredentialRejection => ({
  message: `StackStorm rejected ${describeCredentialSource(source)}: ${why}. To fix: ${credentialAdvice(source)}.`,
})

/** One login (the first, or a renewal): the same child and outcomes from both states. */
const login = {
  src: "login",
  input: ({ context }: { context: CredentialMachineContext }) => ({ source: context.source }),
  onDone: { target: "#credential.authenticated", actions: "storeLogin" },
  onError: [
    { guard: "loginRejected", target: "#credential.failed", actions: "storeLoginRejection" },
    { target: "#credential.retrying", actions: "storeLoginFailure" },
  ],
} as const

export const credentialMachine = setup({
  types: {
    context: {} as CredentialMachineContext,
    events: {} as CredentialMachineEvent,
    input: {} as CredentialMachineInput,
  },
  actors: {
    // Placeholder: the actor layer provides the real one with `credentialMachine.provide`.
    login: fromPromise<LoginOutput, LoginInput>(() => Promise.reject(new Error("login not provided"))),
  },
  delays: {
    renewDelay: ({ context }) =>
      Math.max(
        context.timings.minRenewMs,
        Math.floor((context.lifetimeMs ?? 0) * context.timings.renewAtFraction),
      ),
    retryDelay: ({ context }) => context.retryDelayMs,
    retryNowGap: ({ context }) => context.timings.retryNowGapMs,
  },
  guards: {
    /** Only tokens minted from a password can be renewed. */
    renewable: ({ context }) => context.source._tag === "Password" && context.lifetimeMs !== undefined,
    loginRejected: ({ event }) =>
      "error" in event && asLoginFailure((event as { error: unknown }).error).kind === "rejected",
    reportsCurrentStatic: ({ context, event }) =>
      event.type === "UNAUTHORIZED" &&
      context.source._tag !== "Password" &&
      sameCredential(context.credential, event.credential),
    reportsCurrent: ({ context, event }) =>
      event.type === "UNAUTHORIZED" && sameCredential(context.credential, event.credential),
    retryNowOpen: ({ context }) => context.retryNow === "open",
    retryNowAsked: ({ context }) => context.retryNow === "asked",
  },
  actions: {
    storeLogin: assign(({ event }) => {
      const out = (event as unknown as { output: LoginOutput }).output
      return {
        credential: out.credential,
        username: out.username,
        lifetimeMs: out.lifetimeMs,
        attempt: 0,
        lastFailure: undefined,
      }
    }),
    storeLoginFailure: assign(({ context, event }) => {
      const failure = asLoginFailure((event as { error?: unknown }).error)
      return {
        attempt: context.attempt + 1,
        lastFailure: failure,
        retryNow: "holding" as const,
        retryDelayMs: backoffDelay({
          attempt: context.attempt + 1,
          baseMs: context.timings.retryBaseMs,
          capMs: context.timings.retryMaxMs,
          random: context.random,
        }),
      }
    }),
    storeLoginRejection: assign(({ context, event }) => {
      const failure = asLoginFailure((event as { error?: unknown }).error)
      return {
        credential: undefined,
        lastFailure: failure,
        rejection: rejectionOf(context.source, failure.detail),
      }
    }),
    storeReportedRejection: assign(({ context, event }) => ({
      credential: undefined,
      rejection: rejectionOf(
        context.source,
        `${event.type === "UNAUTHORIZED" ? reasonText[event.reason] : "st2 answered 401"} (401 from a request)`,
      ),
    })),
    askRetryNow: assign({ retryNow: "asked" as const }),
    openRetryNow: assign({ retryNow: "open" as const }),
    forgetCredential: assign({ credential: undefined }),
  },
}).createMachine({
  id: "credential",
  context: ({ input }) => ({
    source: input.source,
    timings: { ...defaultCredentialTimings, ...input.timings },
    random: input.random ?? Math.random,
    credential: undefined,
    username: undefined,
    lifetimeMs: undefined,
    attempt: 0,
    retryDelayMs: 0,
    lastFailure: undefined,
    rejection: undefined,
    retryNow: "holding",
  }),
  initial: "unauthenticated",
  // Reports are handled here so no state meets one it does not expect. A rejected static
  // credential fails wherever it is reported; a rejected token is forgotten so `get` waits for
  // the renewal already under way (`authenticated` overrides this to start one).
  on: {
    UNAUTHORIZED: [
      { guard: "reportsCurrentStatic", target: ".failed", actions: "storeReportedRejection" },
      { guard: "reportsCurrent", actions: "forgetCredential" },
    ],
  },
  states: {
    unauthenticated: {
      always: "authenticating",
    },
    authenticating: {
      invoke: login,
    },
    authenticated: {
      initial: "scheduling",
      states: {
        scheduling: {
          always: [{ guard: "renewable", target: "renewalScheduled" }, { target: "static" }],
        },
        /** A token from a password: renewed at `renewAtFraction` of its lifetime. */
        renewalScheduled: {
          after: { renewDelay: "#credential.renewing" },
        },
        /** An API key or a static token: used until st2 rejects it. */
        static: {},
      },
      on: {
        UNAUTHORIZED: [
          { guard: "reportsCurrentStatic", target: "failed", actions: "storeReportedRejection" },
          { guard: "reportsCurrent", target: "tokenExpired", actions: "forgetCredential" },
        ],
      },
    },
    /** st2 rejected the current token (expired, or unknown after an st2 restart): renew at once. */
    tokenExpired: {
      always: "renewing",
    },
    renewing: {
      invoke: login,
    },
    /**
     * st2 (or the way to it) is down: wait `retryDelay` (capped exponential, jittered), try
     * again; or sooner on `RETRY_NOW`, once `retryNowGap` has passed since the failure.
     */
    retrying: {
      after: {
        retryDelay: "authenticating",
        retryNowGap: [{ guard: "retryNowAsked", target: "authenticating" }, { actions: "openRetryNow" }],
      },
      on: {
        RETRY_NOW: [{ guard: "retryNowOpen", target: "authenticating" }, { actions: "askRetryNow" }],
      },
    },
    /** The configured credential was rejected; `rejection.message` says which and what to do. */
    failed: {},
  },
})

export type CredentialMachine = typeof credentialMachine
