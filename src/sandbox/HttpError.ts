import { Data } from "effect"

/**
 * An st2 error answer: `status` with the JSON body `{"faultstring": message}` (plus any `extra`
 * keys, e.g. `conflict-id` on a 409).
 */
export class HttpError extends Data.TaggedError("HttpError")<{
  readonly status: number
  readonly message: string
  readonly extra?: Record<string, unknown>
}> {}

export const httpError = (status: number, message: string, extra?: Record<string, unknown>): HttpError =>
  new HttpError({ status, message, ...(extra === undefined ? {} : { extra }) })

export const notFound = (): HttpError => httpError(404, "The resource could not be found.")

export const isHttpError = (value: unknown): value is HttpError => value instanceof HttpError
