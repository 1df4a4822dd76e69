// The rendered node configuration on Debian's real dockerd and containerd. The apply script writes
// it into a temporary node root (systemctl stood in), then the daemons start from those files:
// dockerd with the merged daemon.json and the environment of the EnvironmentFile the drop-in names
// (whose health check then reads the running dockerd's /proc/<pid>/environ),
// containerd with the edited config.toml, and ctr pulling through the rendered hosts.toml.
// The registry is the registry component's rendered one, reached on this machine's non-loopback
// address (loopback registries are trusted by default, which would prove nothing).
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { connect, createServer, type Server } from "node:net";
import { networkInterfaces } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proxyUrlWithCredentials } from "../../components/proxy";
import { computeNoProxy } from "../../components/nodes/no-proxy";
import { planNode, proxyEnvironmentFilePath, type NodeInput } from "../../components/nodes/render";
import { renderApplyScript } from "../../components/nodes/render-apply";
import type { NodeConfig } from "../../components/nodes/schema";
import { freePort, run, runOk, startContainerd, startDaemon, startDockerd, tempDir, type Daemon, type Dockerd } from "../harness/daemons";
import { startRenderedRegistry, type RenderedRegistry } from "../registry/rendered-registry";
import { environmentFileValues, FakeNode, systemdEnvironment } from "./fake-node";

const PROXY_CREDENTIALS = { username: "svc-spark", password: "p@ss:w/rd%1" };
const DNS = ["192.0.2.53", "192.0.2.54"];
const IMAGE = "spark-gpu-stack/hello:1.0";

const daemons: Daemon[] = [];
const servers: (Server | HttpServer)[] = [];
let registry: RenderedRegistry;
let hostAddress: string;
/** The registry as nodes reach it: `<this machine's address>:<port>`. */
let endpoint: string;
let proxyPort: number;
/** What reached the proxy: the target and the credentials it was given. */
const proxied: { target: string; credentials?: string }[] = [];

const listen = (server: Server | HttpServer, port: number, host: string) =>
  new Promise<void>((resolve) => server.listen(port, host, resolve));

beforeAll(async () => {
  registry = await startRenderedRegistry();
  const address = Object.values(networkInterfaces())
    .flat()
    .find((a) => a?.family === "IPv4" && !a.internal)?.address;
  if (address === undefined) throw new Error("this test needs a non-loopback IPv4 address (docker trusts loopback registries by default)");
  hostAddress = address;
  const registryPort = Number(registry.endpoint.split(":")[1]);
  const forwarder = createServer((socket) => socket.pipe(connect(registryPort, "127.0.0.1")).pipe(socket));
  const forwardPort = await freePort();
  await listen(forwarder, forwardPort, hostAddress);
  servers.push(forwarder);
  endpoint = `${hostAddress}:${forwardPort}`;

  // A small OCI image in the registry: one file in one layer.
  const dir = tempDir("nodes-image");
  writeFileSync(join(dir, "hello.txt"), "hello from the private registry\n");
  await runOk("umoci", ["init", "--layout", join(dir, "layout")]);
  await runOk("umoci", ["new", "--image", `${join(dir, "layout")}:1.0`]);
  await runOk("umoci", ["insert", "--image", `${join(dir, "layout")}:1.0`, join(dir, "hello.txt"), "/hello.txt"]);
  await runOk("skopeo", [
    "copy",
    "--dest-tls-verify=false",
    "--dest-creds",
    `${registry.username}:${registry.password}`,
    `oci:${join(dir, "layout")}:1.0`,
    `docker://${registry.endpoint}/${IMAGE}`,
  ]);

  // The corporate proxy: records what it is asked for, and refuses it.
  const proxy = createHttpServer((req, res) => {
    proxied.push({ target: req.url ?? "", credentials: req.headers["proxy-authorization"] });
    res.writeHead(502).end();
  });
  proxy.on("connect", (req, socket) => {
    proxied.push({ target: req.url ?? "", credentials: req.headers["proxy-authorization"] });
    socket.end("HTTP/1.1 502 Bad Gateway\r\n\r\n");
  });
  proxyPort = await freePort();
  await listen(proxy, proxyPort, "127.0.0.1");
  servers.push(proxy);
});

afterAll(async () => {
  for (const server of servers) server.close();
  for (const daemon of daemons.reverse()) await daemon.stop();
  await registry?.stop();
});

function nodeInput(runtime: NodeConfig["runtime"]): NodeInput {
  const node: NodeConfig = { name: "gpu-1", address: hostAddress, sshUser: "root", sshPort: 22, runtime, gpu: true };
  const proxyUrl = proxyUrlWithCredentials(`http://127.0.0.1:${proxyPort}`, PROXY_CREDENTIALS);
  const noProxy = computeNoProxy({
    cluster: { domain: "cluster.local", podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12" },
    nodes: { hosts: [node] },
    registryHosts: [endpoint],
    extra: [],
  });
  return {
    node,
    proxy: { http: proxyUrl, https: proxyUrl, noProxy },
    dns: DNS,
    registry: { endpoint, mirrorEndpoint: `${hostAddress}:5999` },
  };
}

/** Applies the node's rendered script to a fresh temporary node root holding `files`. */
async function configuredNode(runtime: NodeConfig["runtime"], files: Record<string, string>): Promise<FakeNode> {
  const node = new FakeNode();
  for (const [path, content] of Object.entries(files)) node.write(path, content);
  const result = await node.apply(renderApplyScript(planNode(nodeInput(runtime)).plan));
  if (result.code !== 0) throw new Error(`apply script failed:\n${result.stdout}\n${result.stderr}`);
  return node;
}

/** A runnable image from the host's busybox and the libraries it links. */
async function importBusybox(docker: Dockerd["docker"]): Promise<string> {
  const root = tempDir("busybox-root");
  const libraries = [...(await runOk("ldd", ["/bin/busybox"])).stdout.matchAll(/(\/\S+)/g)].map((m) => m[1]);
  for (const file of ["/bin/busybox", ...libraries]) {
    mkdirSync(join(root, dirname(file)), { recursive: true });
    copyFileSync(file, join(root, file));
  }
  for (const applet of ["sh", "cat"]) symlinkSync("busybox", join(root, "bin", applet));
  await runOk("tar", ["-C", root, "-cf", `${root}.tar`, "."]);
  const image = "local/busybox:nodes-test";
  const imported = await docker(["import", `${root}.tar`, image]);
  if (imported.code !== 0) throw new Error(`docker import failed: ${imported.stderr}`);
  return image;
}

/** The node's own daemon.json: a corporate registry and mirror it already trusts. */
const NODE_REGISTRY = "corp-registry.example.com:5000";
const NODE_MIRROR = "http://mirror.corp.example.com:5000";
const NODE_DAEMON_JSON = `{"labels": ["spark-gpu-stack.test=node-own-key"], "log-level": "warn", "insecure-registries": ["${NODE_REGISTRY}"], "registry-mirrors": ["${NODE_MIRROR}"]}\n`;
const writeNodeDaemonJson = () => {
  const path = join(tempDir("node-daemon-json"), "daemon.json");
  writeFileSync(path, NODE_DAEMON_JSON);
  return path;
};

describe("docker node: Debian's dockerd started from the merged daemon.json with the drop-in's environment", () => {
  let node: FakeNode;
  let docker: Dockerd["docker"];
  let dockerdPid: number;
  let info: any;

  /** Makes the process `pid` of this machine the node's docker main process, as systemctl shows it. */
  const mainProcess = (pid: number) => {
    mkdirSync(node.path("/proc"), { recursive: true });
    symlinkSync(`/proc/${pid}`, node.path(`/proc/${pid}`));
    writeFileSync(join(node.fake, "mainpid-docker"), `${pid}\n`);
  };

  beforeAll(async () => {
    // Before: dockerd on the node's own file trusts the node's own registry and mirror.
    const before = await startDockerd({ configFile: writeNodeDaemonJson() });
    const beforeInfo = JSON.parse((await runOk("docker", ["--host", before.host, "info", "--format", "{{json .}}"])).stdout);
    await before.stop();
    expect(beforeInfo.RegistryConfig.IndexConfigs[NODE_REGISTRY]).toMatchObject({ Secure: false });
    expect(beforeInfo.RegistryConfig.Mirrors).toEqual([`${NODE_MIRROR}/`]);
    node = await configuredNode("docker", { "/etc/docker/daemon.json": NODE_DAEMON_JSON });
    const { environmentFiles, log } = await systemdEnvironment("docker", node.read("/etc/systemd/system/docker.service.d/http-proxy.conf"));
    expect(log).not.toMatch(/http-proxy\.conf:\d+:/);
    expect(environmentFiles).toEqual([proxyEnvironmentFilePath("docker")]);
    const environment = await environmentFileValues(node.path(environmentFiles[0]));
    const dockerd = await startDockerd({ configFile: node.path("/etc/docker/daemon.json"), env: environment });
    daemons.push(dockerd);
    docker = dockerd.docker;
    dockerdPid = dockerd.pid;
    info = JSON.parse((await runOk("docker", ["--host", dockerd.host, "info", "--format", "{{json .}}"])).stdout);
  });

  it("shows the registry as insecure, the mirror, live-restore, nvidia as the default runtime and the node's own keys", () => {
    expect(info.RegistryConfig.IndexConfigs[endpoint]).toMatchObject({ Name: endpoint, Secure: false });
    expect(info.RegistryConfig.IndexConfigs[NODE_REGISTRY]).toMatchObject({ Name: NODE_REGISTRY, Secure: false });
    expect(info.RegistryConfig.Mirrors).toEqual([`${NODE_MIRROR}/`, `http://${hostAddress}:5999/`]);
    expect(info.LiveRestoreEnabled).toBe(true);
    expect(info.DefaultRuntime).toBe("nvidia");
    expect(info.Runtimes.nvidia).toEqual({ path: "/usr/bin/nvidia-container-runtime" });
    expect(info.Labels).toContain("spark-gpu-stack.test=node-own-key");
  });

  it("a second apply changes nothing: same daemon.json, and no restart, the running dockerd having the rendered proxy values", async () => {
    mainProcess(dockerdPid);
    const merged = node.read("/etc/docker/daemon.json");
    const again = await node.apply(renderApplyScript(planNode(nodeInput("docker")).plan));
    expect(again.code, again.stderr).toBe(0);
    expect(node.calls()).toContain("show --property=MainPID docker");
    expect(node.restarts()).toEqual([]);
    expect(node.read("/etc/docker/daemon.json")).toBe(merged);
  });

  it("shows the proxy, its credentials masked, and the computed NO_PROXY", () => {
    expect(info.HttpProxy).toBe(`http://xxxxx:xxxxx@127.0.0.1:${proxyPort}`);
    expect(info.HttpsProxy).toBe(`http://xxxxx:xxxxx@127.0.0.1:${proxyPort}`);
    expect(info.NoProxy).toBe(nodeInput("docker").proxy!.noProxy.join(","));
    expect(JSON.stringify(info)).not.toContain("w%2Frd");
  });

  it("pulls from the plain-HTTP registry directly (NO_PROXY) and sends other registries to the proxy with the credentials", async () => {
    const login = await docker(["login", endpoint, "--username", registry.username, "--password-stdin"], { input: registry.password });
    expect(login.stderr + login.stdout).toContain("Login Succeeded");
    const pulled = await docker(["pull", `${endpoint}/${IMAGE}`]);
    // ctr may log a harmless "failed to get content info … context canceled" once the pull is done.
    expect(pulled.stderr).not.toMatch(/HTTPS client|unauthorized|level=fatal/);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(proxied.filter((p) => p.target.includes(endpoint))).toEqual([]);

    expect((await docker(["pull", "198.51.100.7:5000/elsewhere:1.0"])).code).not.toBe(0);
    const request = proxied.find((p) => p.target.includes("198.51.100.7:5000"));
    expect(request).toBeDefined();
    expect(Buffer.from(request!.credentials!.replace(/^Basic /, ""), "base64").toString()).toBe(
      `${PROXY_CREDENTIALS.username}:${PROXY_CREDENTIALS.password}`,
    );
  });

  it("gives containers the DNS servers", async () => {
    const image = await importBusybox(docker);
    const resolvConf = await docker(["run", "--rm", "--runtime", "runc", "--network", "none", image, "cat", "/etc/resolv.conf"]);
    expect(resolvConf.stderr).toBe("");
    expect(
      resolvConf.stdout
        .trim()
        .split("\n")
        .filter((l) => l.startsWith("nameserver")),
    ).toEqual(DNS.map((d) => `nameserver ${d}`));
  });
});

describe("containerd node", () => {
  it("ctr pulls from the plain-HTTP registry through the rendered hosts.toml, and the same pull fails without it", async () => {
    const node = await configuredNode("containerd", {});
    const containerd = await startContainerd();
    daemons.push(containerd);
    const reference = `${endpoint}/${IMAGE}`;
    const credentials = `${registry.username}:${registry.password}`;
    const without = await containerd.ctr(["images", "pull", "--user", credentials, reference]);
    expect(without.code).not.toBe(0);
    expect(without.stderr).toContain("server gave HTTP response to HTTPS client");
    const pulled = await containerd.ctr([
      "images",
      "pull",
      "--hosts-dir",
      node.path("/etc/containerd/certs.d"),
      "--user",
      credentials,
      reference,
    ]);
    // ctr may log a harmless "failed to get content info … context canceled" once the pull is done.
    expect(pulled.stderr).not.toMatch(/HTTPS client|unauthorized|level=fatal/);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect((await containerd.ctr(["images", "ls", "--quiet"])).stdout.split("\n")).toContain(reference);
  });

  it("loads the CRI plugin from the edited config.toml: certs.d and nvidia as the default runtime with runc's cgroup driver", async () => {
    const dir = tempDir("containerd-cri");
    const address = join(dir, "containerd.sock");
    // The node's config: containerd's own default, systemd cgroups, every path in the temp dir.
    const nodeConfig = (await runOk("containerd", ["config", "default"])).stdout
      .replace("SystemdCgroup = false", "SystemdCgroup = true")
      .replace(/^root = .*$/m, `root = "${join(dir, "root")}"`)
      .replace(/^state = .*$/m, `state = "${join(dir, "state")}"`)
      .replace('address = "/run/containerd/containerd.sock"', `address = "${address}"`)
      .replace('path = "/opt/containerd"', `path = "${join(dir, "opt")}"`);
    const node = await configuredNode("containerd", { "/etc/containerd/config.toml": nodeConfig });
    const containerd = await startDaemon("containerd", "containerd", ["--config", node.path("/etc/containerd/config.toml")], {
      ready: async () => (await run("ctr", ["--address", address, "version"])).code === 0,
    });
    daemons.push(containerd);
    const plugins = (await runOk("ctr", ["--address", address, "plugins", "ls"])).stdout;
    expect(plugins).toMatch(/^io\.containerd\.grpc\.v1\s+cri\s+\S+\s+ok\s*$/m);
    const criConfig = /Start cri plugin with config (.*)"$/m.exec(containerd.log())?.[1] ?? "";
    expect(criConfig).toContain("ConfigPath:/etc/containerd/certs.d");
    expect(criConfig).toContain("DefaultRuntimeName:nvidia");
    expect(criConfig).toMatch(
      /nvidia:\{Type:io\.containerd\.runc\.v2 .*BinaryName:\/usr\/bin\/nvidia-container-runtime .*SystemdCgroup:true/,
    );
    expect(readFileSync(node.path("/etc/containerd/config.toml"), "utf8")).toContain('sandbox_image = "registry.k8s.io/pause:3.6"');
  });
});
