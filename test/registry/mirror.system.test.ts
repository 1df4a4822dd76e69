// The pull-through cache's rendered config.yml on the real server: it fetches through an
// authenticated HTTP proxy given only as HTTP_PROXY (as the pod gets it from its Secret), serves
// anonymous pulls, and refuses pushes. A local registry stands in for Docker Hub.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { join } from "node:path";
import { proxyUrlWithCredentials } from "../../components/proxy";
import { renderRegistryConfig } from "../../components/registry/render";
import { freePort, run, runOk, startDaemon, startRegistryServer, tempDir, type Daemon } from "../harness/daemons";

const PROXY_CREDENTIALS = { username: "alice", password: "p@ss:w/rd" };
/** A name only the proxy can resolve: Go never proxies loopback addresses. */
const UPSTREAM_HOST = "upstream.test";

const daemons: Daemon[] = [];
let proxy: Server;
const proxyAuthorizations: (string | undefined)[] = [];
const dir = tempDir("registry-mirror");
let upstreamPort: number;
let mirrorPort: number;

const copy = (from: string, to: string) =>
  run("skopeo", ["copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--src-no-creds", "--dest-no-creds", from, to], {
    env: { REGISTRY_AUTH_FILE: join(dir, "auth.json") },
  });

function writeConfig(name: string, port: number, extra: { proxyRemoteUrl?: string }): string {
  const root = join(dir, name);
  mkdirSync(root);
  const path = join(dir, `${name}.yml`);
  writeFileSync(
    path,
    renderRegistryConfig({
      rootDirectory: root,
      httpAddr: `127.0.0.1:${port}`,
      httpSecret: `${name}-secret`,
      deleteEnabled: true,
      readOnly: false,
      ...extra,
    }),
  );
  return path;
}

beforeAll(async () => {
  writeFileSync(join(dir, "auth.json"), "{}\n");
  upstreamPort = await freePort();
  daemons.push(await startRegistryServer(writeConfig("upstream", upstreamPort, {})));
  const layout = join(dir, "image");
  writeFileSync(join(dir, "hello.txt"), "hello from upstream\n");
  await runOk("umoci", ["init", "--layout", layout]);
  await runOk("umoci", ["new", "--image", `${layout}:1.0`]);
  await runOk("umoci", ["insert", "--image", `${layout}:1.0`, join(dir, "hello.txt"), "/hello.txt"]);
  await runOk("skopeo", [
    "copy",
    "--dest-tls-verify=false",
    "--dest-no-creds",
    `oci:${layout}:1.0`,
    `docker://127.0.0.1:${upstreamPort}/library/hello:1.0`,
  ]);

  // The corporate proxy: a plain HTTP forward proxy sending upstream.test to the local upstream.
  proxy = createServer((req, res) => {
    proxyAuthorizations.push(req.headers["proxy-authorization"]);
    const target = new URL(req.url ?? "/");
    if (target.hostname !== UPSTREAM_HOST) return void res.writeHead(502).end();
    const forwarded = request(
      { host: "127.0.0.1", port: upstreamPort, method: req.method, path: `${target.pathname}${target.search}`, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(forwarded);
  });
  const proxyPort = await freePort();
  await new Promise<void>((r) => proxy.listen(proxyPort, "127.0.0.1", r));

  mirrorPort = await freePort();
  const mirrorConfig = writeConfig("mirror", mirrorPort, { proxyRemoteUrl: `http://${UPSTREAM_HOST}:${upstreamPort}` });
  const proxyUrl = proxyUrlWithCredentials(`http://127.0.0.1:${proxyPort}`, PROXY_CREDENTIALS);
  daemons.push(
    await startDaemon("docker-registry (mirror)", "docker-registry", ["serve", mirrorConfig], {
      env: { HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl, NO_PROXY: "" },
      ready: async () => (await fetch(`http://127.0.0.1:${mirrorPort}/`)).status === 200,
    }),
  );
});

afterAll(async () => {
  await Promise.all(daemons.map((d) => d.stop()));
  await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
});

describe("the rendered pull-through cache, for real", () => {
  it("serves an upstream image to an anonymous client, fetched through the authenticated proxy", async () => {
    const pulled = await copy(`docker://127.0.0.1:${mirrorPort}/library/hello:1.0`, `oci:${join(dir, "pulled")}:1.0`);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(proxyAuthorizations.length).toBeGreaterThan(0);
    const expected = `Basic ${Buffer.from(`${PROXY_CREDENTIALS.username}:${PROXY_CREDENTIALS.password}`).toString("base64")}`;
    expect(new Set(proxyAuthorizations)).toEqual(new Set([expected]));
  });

  it("refuses pushes", async () => {
    const pushed = await copy(`oci:${join(dir, "pulled")}:1.0`, `docker://127.0.0.1:${mirrorPort}/library/mine:1.0`);
    expect(pushed.code).not.toBe(0);
    expect(pushed.stderr).toMatch(/initiating layer upload.*unsupported/);
  });
});
