import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import { AliasIndex } from "../aliases/AliasIndex.ts"
import type { ActionAlias } from "../st2/ActionAlias.ts"
import { AliasStore } from "./AliasStore.ts"
import { type ApiDeps, apiRoute } from "./apiRoutes.ts"
import { authenticate } from "./authenticate.ts"
import { createToken, validateToken } from "./authRoutes.ts"
import { type ActionSpec, builtinActions } from "./builtinActions.ts"
import { type AuthInfo, Credentials, type SandboxUser } from "./Credentials.ts"
import { announcementEvent, Executions } from "./Executions.ts"
import { type HttpError, isHttpError, notFound } from "./HttpError.ts"
import { json, listParam, parseJsonBody, type Reply, readBody } from "./http.ts"
import { uuid4 } from "./ids.ts"
import { type ApiMode, nginxDown, type SandboxFaults, type StreamMode } from "./SandboxFaults.ts"
import { DEFAULT_STREAM_EVENTS, globToRegExp, StreamHub } from "./StreamHub.ts"

export interface SandboxServerConfig {
  readonly host: string
  readonly port: number
  readonly aliases: ReadonlyArray<ActionAlias>
  readonly users: ReadonlyArray<SandboxUser>
  readonly tokenTtlSeconds: number
  readonly resultDelayMs: number
  readonly webUiUrl: string | undefined
  readonly heartbeatMs: number
}

type Service = "api" | "auth" | "stream" | "any"

const ADMIN_PREFIX = "/__sandbox"

// A request target of printable ASCII, without `#`, `%`, `.`, `\` or a leading `//` in its path,
// is one `new URL` would not change (no percent-encoding, dot segments or authority): split it by
// hand, which is much cheaper. Anything else goes through `URL`.
const plainTarget = /^\/(?!\/)[\w\-~!$&'()*+,;=:@/]*(?:\?[!-"$-~]*)?$/

/** The request target's path and query, as `new URL(target, base)` reads them. */
const requestTarget = (raw: string): { readonly path: string; readonly query: URLSearchParams } => {
  if (plainTarget.test(raw)) {
    const q = raw.indexOf("?")
    return q === -1
      ? { path: raw, query: new URLSearchParams() }
      : { path: raw.slice(0, q), query: new URLSearchParams(raw.slice(q + 1)) }
  }
  const url = new URL(raw, "http://sandbox")
  return { path: url.pathname, query: url.searchParams }
}

/**
 * The sandbox's HTTP server: st2api, st2auth and st2stream on one port, behind the path
 * prefixes nginx uses (`/api`, `/auth`, `/stream`) and without them (`/v1/...`), plus the
 * fault-control admin paths under `/__sandbox/`. State lives here and survives `stop`/`start`.
 */
export class SandboxServer {
  readonly credentials: Credentials
  readonly executions: Executions
  readonly streams: StreamHub
  #deps: ApiDeps
  readonly #sockets = new Set<Socket>()
  #server: Server | undefined
  #port: number
  #streamMode: StreamMode = "ok"
  #apiMode: ApiMode = "ok"
  #restartTimer: NodeJS.Timeout | undefined

  constructor(private readonly config: SandboxServerConfig) {
    this.#port = config.port
    this.credentials = new Credentials(config.users, config.tokenTtlSeconds)
    this.streams = new StreamHub(config.heartbeatMs)
    this.executions = new Executions({
      resultDelayMs: config.resultDelayMs,
      webUiUrl: () => config.webUiUrl ?? this.url,
      publish: (event, data) => this.streams.publishLazy(event, data),
    })
    const aliases = new AliasStore(config.aliases)
    this.#deps = {
      aliases,
      index: AliasIndex.build(aliases.all),
      actions: new Map<string, ActionSpec>(builtinActions.map((a) => [`${a.pack}.${a.name}`, a])),
      executions: this.executions,
    }
  }

  get port(): number {
    return this.#port
  }

  get url(): string {
    const host = this.config.host.includes(":") ? `[${this.config.host}]` : this.config.host
    return `http://${host}:${this.#port}`
  }

  get running(): boolean {
    return this.#server !== undefined
  }

  readonly faults: SandboxFaults = {
    dropStreams: () => this.streams.dropAll(),
    setStreamMode: (mode) => {
      this.#streamMode = mode
    },
    expireAllTokens: () => this.credentials.expireAllTokens(),
    setApiMode: (mode) => {
      this.#apiMode = mode
    },
    expireInquiries: () => this.executions.expireInquiries(),
    reset: () => {
      this.#streamMode = "ok"
      this.#apiMode = "ok"
    },
  }

  /**
   * Adds an alias (or replaces the one with the same name, keeping its id) as st2's
   * `POST`/`PUT /api/v1/actionalias` would, and emits `st2.actionalias__create` (or `__update`)
   * for streams that asked for it. Returns the alias as the API now serves it.
   */
  addAlias(alias: ActionAlias): ActionAlias {
    const previous = this.#deps.aliases.byName(alias.name)
    const others = this.#deps.aliases.all.filter((a) => a !== previous)
    const aliases = new AliasStore([...others, { ...alias, id: alias.id ?? previous?.id }])
    this.#deps = { ...this.#deps, aliases, index: AliasIndex.build(aliases.all) }
    const stored = aliases.byName(alias.name)!
    this.streams.publish(`st2.actionalias__${previous === undefined ? "create" : "update"}`, stored)
    return stored
  }

  announce(route: string, payload: object): void {
    this.streams.publish(announcementEvent(route), { payload, trace_context: null })
  }

  async start(): Promise<void> {
    if (this.#server !== undefined) return
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((e) => {
        if (!res.headersSent)
          this.#send(res, uuid4(), json(500, { faultstring: `Internal Server Error: ${String(e)}` }))
        else res.destroy()
      })
    })
    server.on("connection", (socket) => {
      this.#sockets.add(socket)
      socket.on("close", () => this.#sockets.delete(socket))
    })
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(this.#port, this.config.host, () => {
        server.off("error", reject)
        resolve()
      })
    })
    this.#port = (server.address() as AddressInfo).port
    this.#server = server
  }

  /** Closes the listener, every stream and every keep-alive connection. */
  async stop(): Promise<void> {
    clearTimeout(this.#restartTimer)
    const server = this.#server
    if (server === undefined) return
    this.#server = undefined
    this.streams.dropAll()
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const socket of this.#sockets) socket.destroy()
    await closed
  }

  /** `stop`, then `start` again on the same port after `downMs`. */
  restartAfter(downMs: number): void {
    void this.stop().then(() => {
      this.#restartTimer = setTimeout(() => void this.start(), downMs)
    })
  }

  dispose(): void {
    clearTimeout(this.#restartTimer)
    this.executions.dispose()
  }

  #send(res: ServerResponse, requestId: string, reply: Reply | HttpError): void {
    const r: Reply = isHttpError(reply)
      ? json(reply.status, { faultstring: reply.message, ...(reply.extra ?? {}) })
      : reply
    res.statusCode = r.status
    res.setHeader("X-Request-ID", requestId)
    for (const [k, v] of Object.entries(r.headers ?? {})) res.setHeader(k, v)
    if (r.body === undefined || r.status === 204) {
      res.end()
      return
    }
    res.setHeader("Content-Type", "application/json")
    res.end(JSON.stringify(r.body))
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const headerId = req.headers["x-request-id"]
    const requestId = (Array.isArray(headerId) ? headerId[0] : headerId) || uuid4()
    const url = requestTarget(req.url ?? "/")
    let path = url.path.includes("//") ? url.path.replace(/\/{2,}/g, "/") : url.path
    if (path.length > 1 && path.endsWith("/")) path = path.replace(/\/+$/, "")
    const method = (req.method ?? "GET").toUpperCase()

    if (path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`)) {
      const body = parseJsonBody(await readBody(req))
      return this.#send(res, requestId, isHttpError(body) ? body : this.#admin(method, path, url.query, body))
    }

    const m = /^(?:\/(api|auth|stream))?\/v1(\/.*)?$/.exec(path)
    if (m === null) return this.#send(res, requestId, notFound())
    const service: Service = (m[1] as Service | undefined) ?? "any"
    const rest = m[2] ?? ""
    const target = this.#route(service, method, rest)
    if (target === undefined) return this.#send(res, requestId, notFound())

    if (target === "stream") return this.#stream(req, res, url.query, requestId)

    // st2api and st2auth sit behind nginx, which answers for them when they are down.
    const mode = this.#apiMode
    if (mode === "unavailable") {
      res.writeHead(503, { "Content-Type": "application/json", "X-Request-ID": requestId })
      res.end(target === "auth-tokens" || target === "auth-validate" ? nginxDown.auth : nginxDown.api)
      return
    }
    if (typeof mode === "object") await new Promise((r) => setTimeout(r, mode.delayMs))

    const text = await readBody(req)
    if (target === "auth-tokens") {
      const body = parseJsonBody(text)
      return this.#send(res, requestId, isHttpError(body) ? body : createToken(req, body, this.credentials))
    }
    const auth = authenticate(req, url.query, this.credentials)
    if (isHttpError(auth)) return this.#send(res, requestId, auth)
    const cookie = this.#cookie(auth)
    const body = parseJsonBody(text)
    let reply: Reply | HttpError | undefined
    if (isHttpError(body)) reply = body
    else if (target === "auth-validate") reply = validateToken(body, this.credentials, auth)
    else reply = apiRoute(this.#deps, { method, path: rest, query: url.query, auth, body })
    if (cookie !== undefined) res.setHeader("Set-Cookie", cookie)
    this.#send(res, requestId, reply ?? notFound())
  }

  /** Which service answers `method rest` under `service`'s prefix (undefined: 404). */
  #route(
    service: Service,
    method: string,
    rest: string,
  ): "stream" | "auth-tokens" | "auth-validate" | "api" | undefined {
    if (rest === "/stream")
      return (service === "stream" || service === "any") && method === "GET" ? "stream" : undefined
    if (rest === "/tokens")
      return (service === "auth" || service === "any") && method === "POST" ? "auth-tokens" : undefined
    if (rest === "/tokens/validate")
      return (service === "auth" || service === "any") && method === "POST" ? "auth-validate" : undefined
    if (service === "api" || service === "any") {
      const first = rest.split("/")[1] ?? ""
      return ["user", "actionalias", "aliasexecution", "executions", "inquiries"].includes(first)
        ? "api"
        : undefined
    }
    return undefined
  }

  /** st2 hands a token given in a header or the query back as the `auth-token` cookie. */
  #cookie(auth: AuthInfo): string | undefined {
    if (auth.token === undefined || auth.location === "cookie") return undefined
    const maxAge = Math.max(0, Math.floor((auth.token.expiry.getTime() - Date.now()) / 1000))
    return `auth-token=${auth.token.token}; Max-Age=${maxAge}; Path=/; expires=${auth.token.expiry.toUTCString()}; HttpOnly; SameSite=lax`
  }

  #stream(req: IncomingMessage, res: ServerResponse, query: URLSearchParams, requestId: string): void {
    if (this.#streamMode === "unavailable") {
      res.writeHead(503, { "Content-Type": "application/json", "X-Request-ID": requestId })
      res.end(nginxDown.stream)
      return
    }
    if (this.#streamMode === "nginx-retry") {
      res.writeHead(200, { "Content-Type": "text/event-stream" })
      res.end(nginxDown.streamRetry)
      return
    }
    const auth = authenticate(req, query, this.credentials)
    if (isHttpError(auth)) {
      this.#send(res, requestId, auth)
      return
    }
    const events = listParam(query, "events")
    const headers: Record<string, string> = {
      "Content-Type": "text/event-stream; charset=UTF-8",
      "Cache-Control": "no-cache",
      "X-Request-ID": requestId,
    }
    const cookie = this.#cookie(auth)
    if (cookie !== undefined) headers["Set-Cookie"] = cookie
    res.writeHead(200, headers)
    res.flushHeaders()
    this.streams.subscribe(res, {
      events: (events.length > 0 ? events : DEFAULT_STREAM_EVENTS).map(globToRegExp),
      actionRefs: listParam(query, "action_refs"),
      executionIds: listParam(query, "execution_ids"),
    })
  }

  #admin(method: string, path: string, query: URLSearchParams, body: unknown): Reply | HttpError {
    const b = (body ?? {}) as Record<string, unknown>
    const ok = (extra: Record<string, unknown> = {}) =>
      json(200, { ok: true, ...extra, state: this.#adminState() })
    const bad = (message: string) => json(400, { faultstring: message })
    const sub = path.slice(ADMIN_PREFIX.length)
    if (method === "GET" && (sub === "" || sub === "/state")) return json(200, this.#adminState())
    if (method === "GET" && sub === "/executions") return json(200, this.executions.all())
    if (method !== "POST") return notFound()
    switch (sub) {
      case "/faults/drop-streams":
        this.faults.dropStreams()
        return ok()
      case "/faults/stream-mode": {
        const mode = String(query.get("mode") ?? b.mode ?? "")
        if (!["ok", "unavailable", "nginx-retry"].includes(mode))
          return bad(`mode must be one of ok, unavailable, nginx-retry; got "${mode}"`)
        this.faults.setStreamMode(mode as StreamMode)
        return ok()
      }
      case "/faults/api-mode": {
        const delay = query.get("delay_ms") ?? b.delay_ms
        if (delay !== undefined && delay !== null) {
          const ms = Number(delay)
          if (!Number.isInteger(ms) || ms < 0)
            return bad(`delay_ms must be an integer >= 0; got "${String(delay)}"`)
          this.faults.setApiMode({ delayMs: ms })
          return ok()
        }
        const mode = String(query.get("mode") ?? b.mode ?? "")
        if (mode !== "ok" && mode !== "unavailable")
          return bad(`mode must be ok or unavailable (or give delay_ms); got "${mode}"`)
        this.faults.setApiMode(mode)
        return ok()
      }
      case "/faults/expire-tokens":
        this.faults.expireAllTokens()
        return ok()
      case "/faults/expire-inquiries":
        this.faults.expireInquiries()
        return ok()
      case "/faults/reset":
        this.faults.reset()
        return ok()
      case "/restart": {
        const raw = query.get("down_ms") ?? b.down_ms ?? 0
        const ms = Number(raw)
        if (!Number.isInteger(ms) || ms < 0)
          return bad(`down_ms must be an integer >= 0; got "${String(raw)}"`)
        // Answer first, then go down: the reply must leave before the sockets are destroyed.
        setTimeout(() => this.restartAfter(ms), 10)
        return json(202, { ok: true, down_ms: ms })
      }
      case "/announce": {
        const route = query.get("route") ?? b.route
        if (typeof route !== "string" || route === "") return bad('"route" is required')
        const payload = (b.payload ?? {}) as object
        this.announce(route, payload)
        return ok({ event: announcementEvent(route) })
      }
      default:
        return notFound()
    }
  }

  #adminState(): Record<string, unknown> {
    return {
      notice: "This is stormbot's StackStorm sandbox, NOT StackStorm.",
      url: this.url,
      stream_mode: this.#streamMode,
      api_mode: this.#apiMode,
      open_streams: this.streams.size,
      executions: this.executions.all().length,
    }
  }
}
