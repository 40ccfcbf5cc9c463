import { createServer as createHttpsServer } from "node:https"
import net, { type AddressInfo } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import {
  isResponseTooLarge,
  makeRawHttpPool,
  RESPONSE_TOO_LARGE,
  type RawHttpPool,
} from "../../src/st2/RawHttpPool.ts"
import { type St2RawAnswer, type St2Send, socketErrorCause } from "../../src/st2/St2Transport.ts"
import { json, startLocalServer } from "./localServer.ts"
import { selfSigned } from "./selfSigned.ts"
import { eventually } from "./streamServer.ts"

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c()
})

const pool = (
  options: {
    maxSockets?: number
    idleTimeoutMs?: number
    ca?: string
    verify?: boolean
    maxBodyBytes?: number
  } = {},
) => {
  const p = makeRawHttpPool(
    { rejectUnauthorized: options.verify ?? true, ca: options.ca },
    {
      maxSockets: options.maxSockets ?? 32,
      idleTimeoutMs: options.idleTimeoutMs ?? 0,
      maxBodyBytes: options.maxBodyBytes,
    },
  )
  closers.push(() => p.destroy())
  return p
}

const GET: St2Send = { method: "GET", headers: {} }

/** One exchange as a promise (the error is the pool's own, untouched). */
const call = (p: RawHttpPool, url: string, request: St2Send = GET): Promise<St2RawAnswer> =>
  new Promise((resolve, reject) => {
    p.exchange(new URL(url), request, { onAnswer: resolve, onError: reject })
  })

const failure = async (promise: Promise<unknown>): Promise<Error & { code?: string }> => {
  try {
    await promise
  } catch (e) {
    return e as Error & { code?: string }
  }
  throw new Error("expected the exchange to fail")
}

interface RawRequest {
  readonly head: string
  readonly body: string
  /** Which accepted connection it came on (1, 2...). */
  readonly connection: number
  /** The bytes of the connection's read that carried the request's first byte. */
  readonly firstRead: string | undefined
  readonly socket: net.Socket
}

/**
 * A TCP server on 127.0.0.1 that reads HTTP requests (head + Content-Length body) and lets the
 * test answer them with exactly the bytes it wants, split as it wants.
 */
const rawServer = async (onRequest: (req: RawRequest) => void) => {
  const requests: Array<RawRequest> = []
  const counts = { accepted: 0, open: 0, peak: 0 }
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    const connection = ++counts.accepted
    counts.open++
    counts.peak = Math.max(counts.peak, counts.open)
    sockets.add(socket)
    socket.setNoDelay(true)
    socket.on("error", () => {})
    socket.on("close", () => {
      counts.open--
      sockets.delete(socket)
    })
    let buffered = Buffer.alloc(0)
    let firstRead: string | undefined
    socket.on("data", (chunk: Buffer) => {
      firstRead ??= chunk.toString("utf8")
      buffered = Buffer.concat([buffered, chunk])
      for (;;) {
        const end = buffered.indexOf("\r\n\r\n")
        if (end < 0) return
        const head = buffered.toString("latin1", 0, end)
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0)
        if (buffered.length < end + 4 + length) return
        const body = buffered.toString("utf8", end + 4, end + 4 + length)
        buffered = buffered.subarray(end + 4 + length)
        const req = { head, body, connection, firstRead, socket }
        firstRead = buffered.length > 0 ? buffered.toString("utf8") : undefined
        requests.push(req)
        onRequest(req)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
  closers.push(close)
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    connections: () => ({ ...counts }),
    close,
  }
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Writes `bytes` in pieces of `size` bytes, one event-loop turn apart (so the client reads them apart). */
const dribble = async (socket: net.Socket, bytes: string | Buffer, size = 1) => {
  const b = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes
  for (let i = 0; i < b.length; i += size) {
    socket.write(b.subarray(i, i + size))
    await turn()
  }
}

const answer = (body: string, headers = "") =>
  `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`

const chunked = (pieces: Array<string | Buffer>, trailer = "") => {
  const parts: Array<Buffer> = [Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")]
  for (const p of pieces) {
    const b = typeof p === "string" ? Buffer.from(p) : p
    parts.push(Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from("\r\n"))
  }
  parts.push(Buffer.from(`0\r\n${trailer}\r\n`))
  return Buffer.concat(parts)
}

describe("RawHttpPool: the request", () => {
  it("goes out in one write: request line, Host, the caller's headers, Content-Length, keep-alive, body", async () => {
    const s = await rawServer((req) => req.socket.write(answer("{}")))
    const p = pool()
    const body = JSON.stringify({ command: "deploy web to prod", user: "zoë" })
    const out = await call(p, `${s.url}/api/v1/aliasexecution?limit=1&x=%20y`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "St2-Api-Key": "k-1",
        "X-Count": 3 as unknown as string,
      },
      body,
    })
    expect(out.status).toBe(200)
    const [req] = s.requests
    const port = new URL(s.url).port
    expect(req?.head).toBe(
      [
        "POST /api/v1/aliasexecution?limit=1&x=%20y HTTP/1.1",
        `Host: 127.0.0.1:${port}`,
        "Content-Type: application/json",
        "St2-Api-Key: k-1",
        "X-Count: 3",
        `Content-Length: ${Buffer.byteLength(body)}`,
        "Connection: keep-alive",
      ].join("\r\n"),
    )
    expect(req?.body).toBe(body)
    // One write of head and body: the server's first read holds the whole request.
    expect(req?.firstRead).toBe(`${req?.head}\r\n\r\n${body}`)
  })

  it("refuses CR, LF or NUL in a header value and a bad header name, and sends nothing", async () => {
    const s = await rawServer((req) => req.socket.write(answer("{}")))
    const p = pool()
    const injected = await failure(
      call(p, s.url, { method: "GET", headers: { "X-Auth-Token": "t\r\nX-Evil: 1" } }),
    )
    expect(injected.code).toBe("ERR_INVALID_CHAR")
    expect(injected.message).toContain("X-Auth-Token")
    expect(injected.message).not.toContain("X-Evil")
    expect((await failure(call(p, s.url, { method: "GET", headers: { A: "x\ny" } }))).code).toBe(
      "ERR_INVALID_CHAR",
    )
    expect((await failure(call(p, s.url, { method: "GET", headers: { A: "x\0y" } }))).code).toBe(
      "ERR_INVALID_CHAR",
    )
    expect((await failure(call(p, s.url, { method: "GET", headers: { "X-A\r\nB": "1" } }))).code).toBe(
      "ERR_INVALID_HTTP_TOKEN",
    )
    expect((await failure(call(p, s.url, { method: "GET", headers: { "Bad Name": "1" } }))).code).toBe(
      "ERR_INVALID_HTTP_TOKEN",
    )
    expect((await failure(call(p, s.url, { method: "GET /x HTTP/1.1\r\n", headers: {} }))).code).toBe(
      "ERR_INVALID_HTTP_TOKEN",
    )
    expect(s.connections().accepted).toBe(0)
    // The pool still works after refusals.
    expect((await call(p, s.url)).status).toBe(200)
  })

  it("never calls back synchronously, even when it refuses the request", () => {
    const p = pool()
    let called = false
    p.exchange(
      new URL("http://127.0.0.1:1/"),
      { method: "GET", headers: { A: "\n" } },
      {
        onAnswer: () => {
          called = true
        },
        onError: () => {
          called = true
        },
      },
    )
    expect(called).toBe(false)
  })
})

describe("RawHttpPool: reading answers", () => {
  it("a Content-Length answer split into single bytes", async () => {
    const body = JSON.stringify({ id: "5f1", status: "requested", pad: "x".repeat(300) })
    const s = await rawServer((req) => void dribble(req.socket, answer(body, "X-Request-ID: r-1\r\n")))
    const out = await call(pool(), s.url)
    expect(out).toEqual({
      status: 200,
      headers: {
        "content-type": "application/json",
        "x-request-id": "r-1",
        "content-length": String(body.length),
      },
      body,
    })
  })

  it("a chunked answer split into single bytes, with chunk extensions and trailers", async () => {
    const bytes = Buffer.concat([
      Buffer.from("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"),
      Buffer.from('5;name=value;other="q"\r\n{"a":\r\n'),
      Buffer.from("A \t; ext\r\n1234567890\r\n"),
      Buffer.from('3\r\n, "\r\n'),
      Buffer.from('2\r\nb"\r\n'),
      Buffer.from("1\r\n}\r\n"),
      Buffer.from("0;last\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n"),
    ])
    const s = await rawServer((req) => void dribble(req.socket, bytes))
    const p = pool()
    const out = await call(p, s.url)
    expect(out.status).toBe(201)
    expect(out.body).toBe('{"a":1234567890, "b"}')
    expect(out.headers["x-trailer"]).toBeUndefined()
    // The trailers ended the answer exactly: the connection is reused.
    expect((await call(p, s.url)).body).toBe(out.body)
    expect(s.connections().accepted).toBe(1)
  })

  it("a chunked answer arriving whole in one read, and in pieces of 7 bytes", async () => {
    const body = "x".repeat(1000)
    const bytes = chunked([body.slice(0, 10), body.slice(10, 600), body.slice(600)], "X-T: 1\r\n")
    let piece = 0
    const s = await rawServer((req) => {
      if (piece++ === 0) req.socket.write(bytes)
      else void dribble(req.socket, bytes, 7)
    })
    const p = pool()
    expect((await call(p, s.url)).body).toBe(body)
    expect((await call(p, s.url)).body).toBe(body)
    expect(s.connections().accepted).toBe(1)
  })

  it("UTF-8 characters split between reads, with Content-Length and chunked", async () => {
    const text = '{"message":"déploiement ✓ terminé 😀 — 完了"}'
    const bytes = Buffer.from(text, "utf8")
    let n = 0
    const s = await rawServer((req) => {
      if (n++ === 0) void dribble(req.socket, Buffer.from(answer(text), "utf8"), 1)
      else {
        // Chunk boundaries inside the 4-byte emoji and the 3-byte check mark.
        const cut1 = bytes.indexOf(Buffer.from("✓")) + 1
        const cut2 = bytes.indexOf(Buffer.from("😀")) + 2
        void dribble(
          req.socket,
          chunked([bytes.subarray(0, cut1), bytes.subarray(cut1, cut2), bytes.subarray(cut2)]),
          3,
        )
      }
    })
    const p = pool()
    expect((await call(p, s.url)).body).toBe(text)
    expect((await call(p, s.url)).body).toBe(text)
  })

  it("header names lower-cased, repeated headers joined with ', '", async () => {
    const s = await rawServer((req) =>
      req.socket.write(
        "HTTP/1.1 200 OK\r\nX-Thing: a\r\nx-thing: b\r\nSet-Cookie: c=1\r\nSET-COOKIE: d=2\r\nX-Empty:\r\nX-Space:   v  \r\nContent-Length: 2\r\n\r\nok",
      ),
    )
    const out = await call(pool(), s.url)
    expect(out.headers["x-thing"]).toBe("a, b")
    expect(out.headers["set-cookie"]).toBe("c=1, d=2")
    expect(out.headers["x-empty"]).toBe("")
    expect(out.headers["x-space"]).toBe("v")
    expect(out.headers.constructor).toBeUndefined()
  })

  it("a body delimited by the close of the connection; that connection is not reused", async () => {
    const s = await rawServer((req) => {
      req.socket.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npart one, ")
      void dribble(req.socket, "part two").then(() => req.socket.end())
    })
    const p = pool()
    expect((await call(p, s.url)).body).toBe("part one, part two")
    expect((await call(p, s.url)).body).toBe("part one, part two")
    expect(s.connections().accepted).toBe(2)
  })

  it("1xx interim answers are skipped", async () => {
    const s = await rawServer(
      (req) =>
        void dribble(
          req.socket,
          `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n${answer('{"ok":true}')}`,
          5,
        ),
    )
    const out = await call(pool(), s.url)
    expect(out.status).toBe(200)
    expect(out.body).toBe('{"ok":true}')
    expect(out.headers.link).toBeUndefined()
  })

  it("204, 304 and HEAD have no body, and the connection goes on to the next answer", async () => {
    const s = await rawServer((req) => {
      if (req.head.startsWith("HEAD")) req.socket.write("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n")
      else if (req.head.includes("/304"))
        req.socket.write("HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n")
      else if (req.head.includes("/204")) req.socket.write("HTTP/1.1 204 No Content\r\n\r\n")
      else req.socket.write(answer("after"))
    })
    const p = pool()
    expect(await call(p, `${s.url}/204`)).toMatchObject({ status: 204, body: "" })
    expect(await call(p, `${s.url}/304`)).toMatchObject({ status: 304, body: "" })
    expect(await call(p, s.url, { method: "HEAD", headers: {} })).toMatchObject({ status: 200, body: "" })
    expect(await call(p, s.url)).toMatchObject({ status: 200, body: "after" })
    expect(s.connections().accepted).toBe(1)
  })

  it("a malformed status line fails the exchange and closes the connection", async () => {
    const s = await rawServer((req) => req.socket.write("HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"))
    const e = await failure(call(pool(), s.url))
    expect(e.code).toBe("HPE_INVALID_RESPONSE")
    expect(e.message).toContain("status line")
    await eventually("the server saw the connection closed", () => s.connections().open === 0)
  })

  it("other malformed answers fail: bad header line, bad Content-Length, bad chunk size", async () => {
    const bad = [
      "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX-Bad: a\rb\r\nContent-Length: 0\r\n\r\n",
    ]
    let i = 0
    const s = await rawServer((req) => req.socket.write(bad[i++] ?? ""))
    const p = pool()
    for (const _ of bad) expect((await failure(call(p, s.url))).code).toBe("HPE_INVALID_RESPONSE")
    expect(s.connections().accepted).toBe(bad.length)
  })

  it("a header block over 64 KB fails the exchange instead of being buffered", async () => {
    const s = await rawServer(
      (req) => void dribble(req.socket, `HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(70 * 1024)}\r\n`, 8 * 1024),
    )
    const e = await failure(call(pool(), s.url))
    expect(e.code).toBe("HPE_INVALID_RESPONSE")
    expect(e.message).toContain("header block")
    await eventually("the server saw the connection closed", () => s.connections().open === 0)
  })

  it("more than 16 1xx answers before the answer fail the exchange", async () => {
    const s = await rawServer((req) => req.socket.write("HTTP/1.1 100 Continue\r\n\r\n".repeat(17)))
    const e = await failure(call(pool(), s.url))
    expect(e.code).toBe("HPE_INVALID_RESPONSE")
    expect(e.message).toContain("1xx")
    await eventually("the server saw the connection closed", () => s.connections().open === 0)
  })

  it("maxBodyBytes: a Content-Length over it fails at the head; a body at it is read", async () => {
    const s = await rawServer((req) =>
      req.socket.write(
        req.head.includes("/over")
          ? "HTTP/1.1 200 OK\r\nContent-Length: 101\r\nX-Request-ID: r-1\r\n\r\n"
          : answer("b".repeat(100)),
      ),
    )
    const p = pool({ maxBodyBytes: 100 })
    expect((await call(p, `${s.url}/at`)).body).toBe("b".repeat(100))
    const e = await failure(call(p, `${s.url}/over`))
    expect(e).toMatchObject({
      code: RESPONSE_TOO_LARGE,
      limitBytes: 100,
      declaredBytes: 101,
      status: 200,
      requestId: "r-1",
    })
    expect(isResponseTooLarge(e)).toBe(true)
    // The connection that carried the refused answer is closed, not reused.
    await eventually("the server saw it closed", () => s.connections().open === 0)
    expect((await call(p, `${s.url}/at`)).status).toBe(200)
    expect(s.connections().accepted).toBe(2)
  })

  it("maxBodyBytes: a chunk whose size would pass it fails before its data; chunk framing counts", async () => {
    const s = await rawServer((req) =>
      req.socket.write(
        req.head.includes("/big-chunk")
          ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n"
          : // 90 bytes of data in chunks of 10: 90 + 9 × (3 + 2) + 3 = 138 bytes of chunked body.
            `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${"a\r\n0123456789\r\n".repeat(9)}0\r\n\r\n`,
      ),
    )
    expect((await call(pool({ maxBodyBytes: 138 }), `${s.url}/framed`)).body).toBe("0123456789".repeat(9))
    expect((await failure(call(pool({ maxBodyBytes: 137 }), `${s.url}/framed`))).code).toBe(
      RESPONSE_TOO_LARGE,
    )
    const e = await failure(call(pool({ maxBodyBytes: 999 }), `${s.url}/big-chunk`))
    expect(e).toMatchObject({ code: RESPONSE_TOO_LARGE, limitBytes: 999, declaredBytes: undefined })
  })

  it("a connection closed before any byte of the answer fails with ECONNRESET (the request is not retried)", async () => {
    const s = await rawServer((req) => req.socket.destroy())
    const e = await failure(call(pool(), s.url, { method: "POST", headers: {}, body: "{}" }))
    expect(e.code).toBe("ECONNRESET")
    expect(s.requests).toHaveLength(1)
  })

  it("an answer cut short by the close fails", async () => {
    const s = await rawServer((req) =>
      req.socket.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this"),
    )
    const e = await failure(call(pool(), s.url))
    expect(e.code).toBe("ECONNRESET")
    expect(e.message).toContain("before the answer was complete")
  })
})

describe("RawHttpPool: keep-alive", () => {
  it("requests one after another reuse one connection", async () => {
    const s = await startLocalServer((_req, res) => json(res, 200, { ok: true }))
    closers.push(s.close)
    const p = pool()
    for (let i = 0; i < 10; i++) expect((await call(p, s.url)).body).toBe('{"ok":true}')
    expect(s.requests).toHaveLength(10)
    expect(s.connections().accepted).toBe(1)
  })

  it("Connection: close, or HTTP/1.0 without keep-alive, is not reused; HTTP/1.0 with keep-alive is", async () => {
    const heads = [
      "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\na",
      "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nb",
      "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nc",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nd",
    ]
    let i = 0
    const s = await rawServer((req) => req.socket.write(heads[i++] ?? ""))
    const p = pool()
    const bodies = []
    for (const _ of heads) bodies.push((await call(p, s.url)).body)
    expect(bodies).toEqual(["a", "b", "c", "d"])
    expect(s.requests.map((r) => r.connection)).toEqual([1, 2, 3, 3])
  })

  it("a connection the server closed while idle is dropped; the next request opens a fresh one", async () => {
    const s = await rawServer((req) => {
      req.socket.write(answer("{}"))
      if (req.connection === 1) req.socket.end()
    })
    const p = pool()
    expect((await call(p, s.url)).status).toBe(200)
    // The server's side closes once the client has closed its own, i.e. has seen the end.
    await eventually("the first connection is closed", () => s.connections().open === 0)
    expect((await call(p, s.url)).status).toBe(200)
    expect(s.requests.map((r) => r.connection)).toEqual([1, 2])
  })

  it("bytes on an idle connection close it; the next request opens a fresh one", async () => {
    const s = await rawServer((req) => {
      req.socket.write(answer("{}"))
      // Later, while the connection is idle.
      if (req.connection === 1) setTimeout(() => req.socket.write("HTTP/1.1 200 OK\r\n"), 20)
    })
    const p = pool()
    expect((await call(p, s.url)).status).toBe(200)
    await eventually("the talkative connection is closed", () => s.connections().open === 0)
    expect((await call(p, s.url)).status).toBe(200)
    expect(s.requests.map((r) => r.connection)).toEqual([1, 2])
  })

  it("extra bytes after an answer: the answer is delivered, the connection is not reused", async () => {
    const s = await rawServer((req) => req.socket.write(`${answer("one")}garbage`))
    const p = pool()
    expect((await call(p, s.url)).body).toBe("one")
    expect((await call(p, s.url)).body).toBe("one")
    expect(s.requests.map((r) => r.connection)).toEqual([1, 2])
  })

  it("an idle connection is closed one second before the server's Keep-Alive hint", async () => {
    const s = await rawServer((req) => req.socket.write(answer("{}", "Keep-Alive: timeout=2, max=100\r\n")))
    const p = pool()
    expect((await call(p, s.url)).status).toBe(200)
    expect(s.connections().open).toBe(1)
    // timeout=2 → closed by the client one second before the server would.
    await eventually("the idle connection is closed", () => s.connections().open === 0, 5_000)
    expect((await call(p, s.url)).status).toBe(200)
    expect(s.connections().accepted).toBe(2)
  })

  it("an answer slower than the keep-alive is not cut, and its connection still closes once idle", async () => {
    const s = await rawServer((req) => {
      const write = () => req.socket.write(answer("{}", "Keep-Alive: timeout=2\r\n"))
      if (req.head.includes("/slow")) setTimeout(write, 1_300)
      else write()
    })
    const p = pool()
    expect((await call(p, s.url)).status).toBe(200)
    // Idle 1 s from here on; the next answer takes longer than that.
    expect((await call(p, `${s.url}/slow`)).status).toBe(200)
    expect(s.connections()).toMatchObject({ accepted: 1, open: 1 })
    await eventually("the idle connection is closed", () => s.connections().open === 0, 5_000)
  })

  it("an idle connection does not keep the process alive; a running one does", async () => {
    const sockets = () => process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length
    await eventually("earlier tests' sockets are closed", () => sockets() === 0)
    const before = sockets()
    let whileRunning = -1
    const s = await rawServer((req) => {
      req.socket.unref()
      whileRunning = sockets()
      req.socket.write(answer("{}"))
    })
    const p = pool()
    expect((await call(p, s.url)).status).toBe(200)
    expect(whileRunning).toBe(before + 1)
    expect(s.connections().open).toBe(1)
    expect(sockets()).toBe(before)
    // Still reused after being unref'd.
    expect((await call(p, s.url)).status).toBe(200)
    expect(whileRunning).toBe(before + 1)
    expect(s.connections().accepted).toBe(1)
  })

  it("a Keep-Alive hint of 1 s or less: the connection is not kept", async () => {
    const s = await rawServer((req) => req.socket.write(answer("{}", "Keep-Alive: timeout=1\r\n")))
    const p = pool()
    await call(p, s.url)
    await call(p, s.url)
    expect(s.requests.map((r) => r.connection)).toEqual([1, 2])
  })
})

describe("RawHttpPool: the bounded pool and its queue", () => {
  /** A server that holds answers until released. */
  const held = async () => {
    const waiting: Array<RawRequest> = []
    const s = await rawServer((req) => waiting.push(req))
    const release = (n = waiting.length) => {
      for (const r of waiting.splice(0, n)) r.socket.write(answer(r.head.split(" ")[1] ?? ""))
    }
    return { ...s, waiting, release }
  }

  it("never more than maxSockets connections; every request answered", async () => {
    const s = await held()
    const p = pool({ maxSockets: 3 })
    let done = false
    const all = Promise.all(Array.from({ length: 20 }, (_, i) => call(p, `${s.url}/r${i}`))).finally(() => {
      done = true
    })
    while (!done) {
      await eventually("requests reached the server", () => s.waiting.length > 0 || done)
      s.release()
    }
    const out = await all
    expect(out.map((a) => a.body)).toEqual(Array.from({ length: 20 }, (_, i) => `/r${i}`))
    expect(s.connections().peak).toBe(3)
    expect(s.connections().accepted).toBe(3)
  })

  it("queued requests start first come, first served", async () => {
    const s = await held()
    const p = pool({ maxSockets: 1 })
    const order: Array<string> = []
    const all = ["a", "b", "c", "d", "e"].map((x) => call(p, `${s.url}/${x}`).then((r) => order.push(r.body)))
    for (let i = 0; i < 5; i++) {
      await eventually("a request reached the server", () => s.waiting.length === 1)
      s.release()
    }
    await Promise.all(all)
    expect(s.requests.map((r) => r.head.split(" ")[1])).toEqual(["/a", "/b", "/c", "/d", "/e"])
    expect(order).toEqual(["/a", "/b", "/c", "/d", "/e"])
  })

  it("abort while queued: never sent, no callback, its turn goes to the next", async () => {
    const s = await held()
    const p = pool({ maxSockets: 1 })
    const first = call(p, `${s.url}/first`)
    const calls: Array<string> = []
    const abort = p.exchange(new URL(`${s.url}/aborted`), GET, {
      onAnswer: () => calls.push("answer"),
      onError: () => calls.push("error"),
    })
    const third = call(p, `${s.url}/third`)
    await eventually("the first request reached the server", () => s.waiting.length === 1)
    abort()
    s.release()
    expect((await first).body).toBe("/first")
    await eventually("the third request reached the server", () => s.waiting.length === 1)
    s.release()
    expect((await third).body).toBe("/third")
    expect(s.requests.map((r) => r.head.split(" ")[1])).toEqual(["/first", "/third"])
    expect(calls).toEqual([])
  })

  it("abort while running: the socket is destroyed, no callback, the pool goes on", async () => {
    const s = await held()
    const p = pool({ maxSockets: 1 })
    const calls: Array<string> = []
    const abort = p.exchange(new URL(`${s.url}/running`), GET, {
      onAnswer: () => calls.push("answer"),
      onError: () => calls.push("error"),
    })
    const next = call(p, `${s.url}/next`)
    await eventually("the request reached the server", () => s.waiting.length === 1)
    abort()
    await eventually("the server saw the first connection closed", () => s.connections().accepted === 2)
    s.waiting.splice(0, 1)
    await eventually("the next request reached the server", () => s.waiting.length === 1)
    s.release()
    expect((await next).body).toBe("/next")
    expect(calls).toEqual([])
  })

  it("destroy() fails running and queued requests with ST2_CLIENT_CLOSED, and refuses new ones", async () => {
    const s = await held()
    const p = pool({ maxSockets: 1 })
    const running = failure(call(p, `${s.url}/a`))
    const queued = failure(call(p, `${s.url}/b`))
    await eventually("the first request reached the server", () => s.waiting.length === 1)
    await p.destroy()
    expect((await running).code).toBe("ST2_CLIENT_CLOSED")
    expect((await queued).code).toBe("ST2_CLIENT_CLOSED")
    expect((await failure(call(p, s.url))).code).toBe("ST2_CLIENT_CLOSED")
    await eventually("the server saw the connection closed", () => s.connections().open === 0)
    expect(s.requests).toHaveLength(1)
  })

  it("close() waits for running and queued requests, refuses new ones, then closes idle connections", async () => {
    const s = await held()
    const p = pool({ maxSockets: 1 })
    const running = call(p, `${s.url}/a`)
    const queued = call(p, `${s.url}/b`)
    await eventually("the first request reached the server", () => s.waiting.length === 1)
    let closed = false
    const closing = p.close().then(() => {
      closed = true
    })
    expect((await failure(call(p, s.url))).code).toBe("ST2_CLIENT_CLOSED")
    expect(closed).toBe(false)
    s.release()
    expect((await running).body).toBe("/a")
    await eventually("the queued request reached the server", () => s.waiting.length === 1)
    expect(closed).toBe(false)
    s.release()
    expect((await queued).body).toBe("/b")
    await closing
    await eventually("the connection is closed", () => s.connections().open === 0)
    expect(s.connections().accepted).toBe(1)
  })

  it("idleTimeoutMs: a silent server fails the request with ETIMEDOUT and its socket is closed", async () => {
    const s = await held()
    const e = await failure(call(pool({ idleTimeoutMs: 50 }), s.url))
    expect(e.code).toBe("ETIMEDOUT")
    await eventually("the server saw the connection closed", () => s.connections().open === 0)
  })

  it("a refused connection keeps its code: socketErrorCause says ECONNREFUSED and the address", async () => {
    const spare = net.createServer()
    await new Promise<void>((resolve) => spare.listen(0, "127.0.0.1", resolve))
    const port = (spare.address() as AddressInfo).port
    await new Promise((resolve) => spare.close(resolve))
    const e = await failure(call(pool(), `http://127.0.0.1:${port}/api/v1/user`))
    expect(socketErrorCause(e)).toBe(`ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${port}`)
  })
})

describe("RawHttpPool: TLS", () => {
  it("trusts the CA it is given, refuses without it, and keeps the connection alive", async () => {
    const pair = selfSigned()
    let accepted = 0
    const server = createHttpsServer(pair, (_req, res) => json(res, 200, { over: "tls" }))
    server.on("secureConnection", () => accepted++)
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        }),
    )
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/user`
    const trusting = pool({ ca: pair.cert })
    expect((await call(trusting, url)).body).toBe('{"over":"tls"}')
    expect((await call(trusting, url)).body).toBe('{"over":"tls"}')
    expect(accepted).toBe(1)
    const strict = await failure(call(pool(), url))
    expect(socketErrorCause(strict)).toMatch(/self.signed/i)
    expect((await call(pool({ verify: false }), url)).status).toBe(200)
  })
})
