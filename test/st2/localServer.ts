import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

export interface RecordedRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage["headers"]
  readonly body: string
}

/**
 * A tiny HTTP server on 127.0.0.1:0 for what the sandbox cannot produce (bodies st2 would never
 * send, redirects, silence) and for inspecting exactly what the client sends.
 */
export const startLocalServer = async (
  handler: (req: RecordedRequest, res: ServerResponse) => void,
): Promise<{
  url: string
  requests: RecordedRequest[]
  /** TCP connections accepted so far, and those still open. */
  connections: () => { accepted: number; open: number }
  close: () => Promise<void>
}> => {
  const requests: RecordedRequest[] = []
  const connections = { accepted: 0, open: 0 }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const recorded = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      }
      requests.push(recorded)
      handler(recorded, res)
    })
  })
  server.on("connection", (socket) => {
    connections.accepted++
    connections.open++
    socket.on("close", () => connections.open--)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    connections: () => ({ ...connections }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export const json = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  res.writeHead(status, { "Content-Type": "application/json", ...headers })
  res.end(JSON.stringify(body))
}
