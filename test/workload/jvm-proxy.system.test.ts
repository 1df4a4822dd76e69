// The JVM options rendered for the proxy, read by a real JVM (Debian's OpenJDK): outside names go
// through the proxy, plain and TLS alike; NO_PROXY names, CIDRs and suffixes go direct.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jvmProxyOptions } from "../../components/workload/render-jvm-proxy";
import { run } from "../harness/daemons";

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

describe("the JVM behind the proxy", () => {
  const seen: string[] = [];
  const proxy = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.end("via-proxy\n");
  }).on("connect", (req, socket) => {
    seen.push(`CONNECT ${req.url}`);
    socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
  });
  const direct = createServer((_, res) => res.end("direct\n"));
  let proxyPort = 0;
  let directPort = 0;

  beforeAll(async () => {
    proxyPort = await listen(proxy);
    directPort = await listen(direct);
  });
  afterAll(() => {
    proxy.close();
    direct.close();
  });

  it("fetches outside names through the proxy and NO_PROXY names directly", async () => {
    // 127.0.0.1 itself is listed only as a CIDR, so the direct fetch proves the CIDR translation.
    const options = jvmProxyOptions({ http: `http://127.0.0.1:${proxyPort}`, noProxy: [] }, ["localhost", "127.0.0.0/8", ".svc"]);
    const urls = [
      "http://outside.example.test/app.py",
      "https://repo1.example.test/maven2/",
      `http://127.0.0.1:${directPort}/app.py`,
      `http://localhost:${directPort}/app.py`,
      `http://registry.svc:${directPort}/`,
    ];
    const result = await run("java", [...options, join(__dirname, "jvm", "Fetch.java"), ...urls]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim().split("\n")).toEqual([
      "http://outside.example.test/app.py 200 via-proxy",
      "https://repo1.example.test/maven2/ error IOException",
      `http://127.0.0.1:${directPort}/app.py 200 direct`,
      `http://localhost:${directPort}/app.py 200 direct`,
      // Direct, so the JVM itself had to resolve the name, which no resolver here knows.
      `http://registry.svc:${directPort}/ error UnknownHostException`,
    ]);
    expect(seen).toEqual(["GET http://outside.example.test/app.py", "CONNECT repo1.example.test:443"]);
  });
});
