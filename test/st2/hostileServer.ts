import net, { type AddressInfo } from "node:net"

/**
 * What a hostile (or broken) StackStorm, proxy or stream answers, byte for byte:
 * - `head`: the status line and headers, written as given; `undefined` writes nothing at all (a
 *   server that accepts the connection and never answers).
 * - `body`: written after the head: `undefined` writes nothing more and keeps the connection open
 *   (headers, then silence); `{ repeat }` writes the same piece again and again, as fast as the
 *   client reads it (backpressure respected), as chunks when `chunked`.
 */
export interface HostileAnswer {
  readonly head?: string | undefined
  readonly body?:
    | { readonly repeat: string; readonly chunked?: boolean; readonly prefix?: string }
    | undefined
}

export interface HostileConnection {
  /** Bytes this server handed to the socket (head included), counted as written. */
  written: number
  /** The connection is closed (by either side). */
  closed: boolean
  /** The server stopped because it reached `maxBytes` (the client never gave up). */
  exhausted: boolean
}

export interface HostileServer {
  readonly url: string
  readonly connections: ReadonlyArray<HostileConnection>
  /** Bytes written on every connection together. */
  readonly written: () => number
  readonly close: () => Promise<void>
}

/**
 * A TCP server on 127.0.0.1:0 that reads one request head per connection and answers it with
 * `answer` (or `answer(n)` for the n-th connection, from 1). An endless body stops by itself after
 * `maxBytes` per connection (then the connection is ended), so a client that never gives up makes
 * the test fail on its assertions instead of running forever. Tests only.
 */
export const startHostileServer = async (
  answer: HostileAnswer | ((connection: number) => HostileAnswer),
  options: { readonly maxBytes?: number } = {},
): Promise<HostileServer> => {
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024
  const connections: Array<HostileConnection> = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    const record: HostileConnection = { written: 0, closed: false, exhausted: false }
    connections.push(record)
    const n = connections.length
    sockets.add(socket)
    socket.on("error", () => {})
    socket.on("close", () => {
      record.closed = true
      sockets.delete(socket)
    })
    let head = ""
    let answered = false
    socket.on("data", (chunk: Buffer) => {
      if (answered) return
      head += chunk.toString("latin1")
      if (!head.includes("\r\n\r\n")) return
      answered = true
      const a = typeof answer === "function" ? answer(n) : answer
      const write = (bytes: string): boolean => {
        record.written += Buffer.byteLength(bytes)
        return socket.write(bytes)
      }
      if (a.head === undefined) return
      write(a.head)
      const body = a.body
      if (body === undefined) return
      if (body.prefix !== undefined) write(body.prefix)
      const piece =
        body.chunked === true
          ? `${Buffer.byteLength(body.repeat).toString(16)}\r\n${body.repeat}\r\n`
          : body.repeat
      const pump = () => {
        while (!socket.destroyed && socket.writable) {
          if (record.written >= maxBytes) {
            record.exhausted = true
            socket.end()
            return
          }
          if (!write(piece)) {
            socket.once("drain", pump)
            return
          }
        }
      }
      pump()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    connections,
    written: () => connections.reduce((n, c) => n + c.written, 0),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
