// The registry's TLS with real programs: Debian's registry serves the component's generated
// certificate (mock tls provider: real PEM), and Debian's dockerd and containerd pull from it
// trusting only what the nodes renderer places: docker's certs.d, containerd's hosts.toml. Without
// those files each refuses the registry. Reached on this machine's non-loopback address, as nodes
// reach the registry (runtimes treat loopback registries specially).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerCaPath, planNode, type PlacedFile } from "../../components/nodes/render";
import type { NodeConfig } from "../../components/nodes/schema";
import { CONFIG_FILE, PULL_CONFIG_FILE } from "../../components/registry/render";
import { resolve } from "../../tools/mock-runtime";
import { freePort, runOk, startContainerd, startDockerd, tempDir, type Daemon } from "../harness/daemons";
import { PASSWORD, renderRegistry } from "./rendered-component";
import { basicAuth, httpsStatus, serveComponentFiles } from "./served-component";

const IMAGE = "spark-gpu-stack/tls-hello:1.0";
const daemons: Daemon[] = [];
/** Files this test placed outside its temp dirs (the runtimes read certs.d only under /etc). */
const placed: string[] = [];
let endpoint: string;
let ca: string;
/** The pull account, as nodes and pods pull; the image is pushed with the push account. */
let pull: { username: string; password: string };

function nonLoopbackAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((a) => a?.family === "IPv4" && !a.internal)?.address;
  if (address === undefined) throw new Error("this test needs a non-loopback IPv4 address");
  return address;
}

/** The node's rendered trust files, written where the runtime reads them; each directory is this test's own (its port). */
function place(files: readonly PlacedFile[]): void {
  for (const file of files) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.content, { mode: Number.parseInt(file.mode, 8) });
    placed.push(dirname(file.path));
  }
}

const nodeFiles = (runtime: NodeConfig["runtime"]) =>
  planNode({
    node: { name: "node-1", address: "192.0.2.31", sshUser: "root", sshPort: 22, runtime, gpu: false },
    dns: [],
    registry: { endpoint, caCertificate: ca },
  }).plan.files;

beforeAll(async () => {
  const host = nonLoopbackAddress();
  const { rt, component } = await renderRegistry(
    { registry: { host, node: "registry-node" } },
    { password: PASSWORD, tlsValidFrom: new Date(Date.now() - 3_600_000) },
  );
  ca = (await resolve(component.ref.caCertificate!)).value;
  pull = (await resolve(component.ref.credentials)).value;
  const push = (await resolve(component.ref.pushCredentials)).value;
  // The registry pod's two processes on one storage: nodes pull from the read-only one.
  const served = await serveComponentFiles(rt);
  const pullPort = await freePort();
  daemons.push(await served.start(CONFIG_FILE), await served.start(PULL_CONFIG_FILE, pullPort));
  endpoint = `${host}:${pullPort}`;
  const pushEndpoint = `${host}:${served.port}`;

  // A small OCI image in the registry, pushed trusting the CA alone.
  const dir = tempDir("tls-image");
  writeFileSync(join(dir, "hello.txt"), "hello over TLS\n");
  mkdirSync(join(dir, "certs"));
  writeFileSync(join(dir, "certs", "ca.crt"), ca);
  const layout = join(dir, "layout");
  await runOk("umoci", ["init", "--layout", layout]);
  await runOk("umoci", ["new", "--image", `${layout}:1.0`]);
  await runOk("umoci", ["insert", "--image", `${layout}:1.0`, join(dir, "hello.txt"), "/hello.txt"]);
  await runOk("skopeo", [
    "copy",
    "--dest-cert-dir",
    join(dir, "certs"),
    "--dest-creds",
    `${push.username}:${push.password}`,
    `oci:${layout}:1.0`,
    `docker://${pushEndpoint}/${IMAGE}`,
  ]);
});

afterAll(async () => {
  for (const dir of placed) rmSync(dir, { recursive: true, force: true });
  for (const daemon of daemons.reverse()) await daemon.stop();
});

describe("the registry over TLS", () => {
  it("serves a certificate for its address from the stack's CA, and asks for the login", async () => {
    expect(await httpsStatus(`https://${endpoint}/v2/`, { ca })).toBe(401);
    expect(await httpsStatus(`https://${endpoint}/v2/`, { ca, headers: basicAuth(pull.username, pull.password) })).toBe(200);
    // Without the CA, a client refuses it.
    await expect(httpsStatus(`https://${endpoint}/v2/`)).rejects.toThrow(/self[- ]signed|unable to (get|verify)/);
  });

  it("dockerd refuses it without the CA, and pulls with the rendered certs.d alone", async () => {
    const files = nodeFiles("docker");
    expect(files.map((f) => f.path)).toEqual([dockerCaPath(endpoint)]);
    const dockerd = await startDockerd();
    daemons.push(dockerd);
    const login = () => dockerd.docker(["login", endpoint, "--username", pull.username, "--password-stdin"], { input: pull.password });
    const refused = await login();
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/x509: certificate signed by unknown authority/);

    place(files);
    const accepted = await login();
    expect(accepted.stderr + accepted.stdout).toContain("Login Succeeded");
    const pulled = await dockerd.docker(["pull", `${endpoint}/${IMAGE}`]);
    expect(pulled.code, pulled.stderr).toBe(0);
  });

  it("ctr refuses it without the rendered hosts.toml, and pulls with it alone", async () => {
    const files = nodeFiles("containerd");
    expect(files.map((f) => f.path)).toEqual([
      `/etc/containerd/certs.d/${endpoint}/ca.crt`,
      `/etc/containerd/certs.d/${endpoint}/hosts.toml`,
    ]);
    const containerd = await startContainerd();
    daemons.push(containerd);
    const reference = `${endpoint}/${IMAGE}`;
    const credentials = `${pull.username}:${pull.password}`;
    const refused = await containerd.ctr(["images", "pull", "--user", credentials, reference]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/x509: certificate signed by unknown authority/);

    place(files);
    const pulled = await containerd.ctr(["images", "pull", "--hosts-dir", "/etc/containerd/certs.d", "--user", credentials, reference]);
    expect(pulled.stderr).not.toMatch(/x509|unauthorized|level=fatal/);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect((await containerd.ctr(["images", "ls", "--quiet"])).stdout.split("\n")).toContain(reference);
  });
});
