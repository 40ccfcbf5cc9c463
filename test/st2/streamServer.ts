import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"

/**
 * A tiny st2stream on 127.0.0.1 that answers `GET /stream/v1/stream` as st2 does (contract §5),
 * with scripted faults. Tests only.
 */
export type StreamAnswer =
  | "ok" // 200 text/event-stream, a heartbeat, then whatever the test writes
  | "unavailable" // 503 JSON, as nginx does when st2api is down
  | "nginx-retry" // 200 text/event-stream, `retry: 1000\n\n`, close: nginx when st2stream is down
  | "html" // 200 text/html: a captive portal or a misrouted proxy

export interface SeenRequest {
  readonly url: string
  readonly headers: IncomingMessage["headers"]
}

export interface StreamServer {
  readonly streamUrl: string
  readonly requests: Array<SeenRequest>
  /** Streams accepted (200 event-stream "ok") since the start. */
  readonly accepted: () => number
  readonly open: () => number
  /** The next answers, in order; when empty, every request gets "ok". */
  readonly script: Array<StreamAnswer>
  /** API keys st2 accepts; any other credential gets 401. */
  readonly keys: Set<string>
  readonly send: (event: string, data: unknown) => void
  readonly sendRaw: (text: string) => void
  readonly heartbeat: () => void
  /** Cuts every open stream's socket without a proper end (a crashed st2stream, a dead link). */
  readonly drop: () => void
  /** Ends every open stream cleanly. */
  readonly end: () => void
  readonly close: () => Promise<void>
}

export const startStreamServer = async (
  keys: ReadonlyArray<string> = ["test-key"],
): Promise<StreamServer> => {
  const requests: Array<SeenRequest> = []
  const script: Array<StreamAnswer> = []
  const keySet = new Set(keys)
  const clients = new Set<ServerResponse>()
  const sockets = new Set<Socket>()
  let accepted = 0
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "Content-Type": "application/json", "X-Request-ID": "req-1" })
    res.end(JSON.stringify(body))
  }
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? "", headers: req.headers })
    if (!(req.url ?? "").startsWith("/stream/v1/stream")) {
      return json(res, 404, { faultstring: "The resource could not be found." })
    }
    const key = req.headers["st2-api-key"]
    if (typeof key !== "string") {
      return json(res, 401, { faultstring: "Unauthorized - One of Token or API key required." })
    }
    if (!keySet.has(key)) {
      return json(res, 401, { faultstring: "Unauthorized - ApiKey with key_hash=abc123 not found." })
    }
    const answer = script.shift() ?? "ok"
    switch (answer) {
      case "unavailable":
        return json(res, 503, { faultstring: "Service Unavailable" })
      case "html":
        res.writeHead(200, { "Content-Type": "text/html" })
        return res.end("<html>login</html>")
      case "nginx-retry":
        res.writeHead(200, { "Content-Type": "text/event-stream" })
        return res.end("retry: 1000\n\n")
      case "ok":
        accepted++
        res.writeHead(200, { "Content-Type": "text/event-stream; charset=UTF-8" })
        res.write("\n")
        clients.add(res)
        res.on("close", () => clients.delete(res))
        return
    }
  })
  server.on("connection", (s) => {
    sockets.add(s)
    s.on("close", () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  const write = (text: string) => {
    for (const c of clients) c.write(text)
  }
  return {
    streamUrl: `http://127.0.0.1:${port}/stream/v1`,
    requests,
    accepted: () => accepted,
    open: () => clients.size,
    script,
    keys: keySet,
    send: (event, data) => write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
    sendRaw: write,
    heartbeat: () => write("\n"),
    drop: () => {
      for (const c of clients) c.socket?.destroy()
    },
    end: () => {
      for (const c of clients) c.end()
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** Polls until `check` holds; fails with `what` after `timeoutMs` (a hang guard, not a speed test). */
export const eventually = async (what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

export const announcement = (message: string, channel = "terminal") => ({
  payload: { message, channel, user: null, whisper: false, extra: null, context: { room: channel } },
  trace_context: null,
})
