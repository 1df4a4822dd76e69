// A forwarding HTTP proxy on loopback that demands Basic credentials, as the seed's corporate proxy
// does: the build's apt must reach the Debian mirror through it with the credentials that the
// component puts into the predefined proxy build args, and only through them.
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface AuthProxy {
  /** `http://127.0.0.1:PORT`, without credentials (as `proxy.http` is configured). */
  readonly url: string;
  /** Requests forwarded with the right credentials. */
  readonly forwarded: string[];
  /** Requests refused with 407 (no or wrong credentials). */
  readonly refused: string[];
  stop(): Promise<void>;
}

const HOP_BY_HOP = ["proxy-authorization", "proxy-connection", "connection", "keep-alive"];

function forwardedHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.includes(name)));
}

export async function startAuthProxy(username: string, password: string): Promise<AuthProxy> {
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  const forwarded: string[] = [];
  const refused: string[] = [];
  const server: Server = createServer((req, res) => {
    const target = req.url ?? "";
    if (req.headers["proxy-authorization"] !== expected) {
      refused.push(target);
      res.writeHead(407, { "Proxy-Authenticate": 'Basic realm="test proxy"' }).end();
      return;
    }
    forwarded.push(target);
    const upstream = request(target, { method: req.method, headers: forwardedHeaders(req.headers) }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", (error) => res.writeHead(502).end(String(error)));
    req.pipe(upstream);
  });
  // Only plain-HTTP forwarding is offered; a CONNECT (HTTPS) would be a surprise worth failing on.
  server.on("connect", (req, socket) => {
    refused.push(`CONNECT ${req.url}`);
    socket.end("HTTP/1.1 405 Method Not Allowed\r\n\r\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    refused,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
