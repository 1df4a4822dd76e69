// The rendered apply script, run for real against a temporary root directory with recording
// stand-ins for systemctl and ctr (fake-systemctl.sh, fake-ctr.sh), under the shells and awks
// that real nodes have: dash + mawk (Debian, Ubuntu), bash + gawk (RHEL family), busybox: runs
// killed half-way by SIGKILL (from the stand-ins), and a run whose reader is gone (SIGPIPE ignored),
// runs held off by a real flock(1) holder, and two runs at once.
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, it, type ExpectStatic } from "vitest";
import { computeNoProxy } from "../../components/nodes/no-proxy";
import { proxyUrlWithCredentials } from "../../components/proxy";
import {
  dropInPath,
  mergeDaemonJson,
  NVIDIA_RUNTIME_BINARY,
  planNode,
  proxyEnvironmentFilePath,
  type NodeInput,
} from "../../components/nodes/render";
import { renderApplyScript } from "../../components/nodes/render-apply";
import type { NodeConfig } from "../../components/nodes/schema";
import { run, runOk, tempDir, waitFor } from "../harness/daemons";
import { FakeNode, VARIANTS } from "./fake-node";

// Characters that URL, EnvironmentFile or shell syntax would take: percent-encoded into the proxy
// URL, which must reach the runtime's environment unchanged.
const PASSWORD = 'p@ss%word $HOME "x" \\y #1';
const PROXY_URL = proxyUrlWithCredentials("http://proxy.example.com:8080", { username: "svc-spark", password: PASSWORD });

function nodeInput(runtime: NodeConfig["runtime"], overrides: Partial<NodeInput> = {}): NodeInput {
  const node: NodeConfig = { name: "gpu-1", address: "192.0.2.21", sshUser: "root", sshPort: 22, runtime, gpu: true };
  const noProxy = computeNoProxy({
    cluster: { domain: "cluster.local", podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12" },
    nodes: { subnet: "192.0.2.0/24", hosts: [node] },
    registryHosts: ["192.0.2.21:6001"],
    extra: [],
  });
  return {
    node,
    proxy: { http: PROXY_URL, https: PROXY_URL, noProxy },
    dns: ["192.0.2.53", "192.0.2.54"],
    registry: { endpoint: "192.0.2.21:6001" },
    ...overrides,
  };
}

const scriptFor = (input: NodeInput) => renderApplyScript(planNode(input).plan);

/** Staged versions left on the node: a run that stops must remove the ones it made. */
const stagedLeft = (node: FakeNode) =>
  readdirSync(node.root, { recursive: true, encoding: "utf8" }).filter((path) => path.endsWith(".spark-gpu-stack-new"));

const NODE_DAEMON_JSON = `{
  "log-driver": "journald",
  "data-root": "/srv/docker",
  "dns": ["8.8.8.8"],
  "runtimes": {
    "runsc": { "path": "/usr/bin/runsc" }
  }
}
`;

let containerdDefault: string;
// smol-toml is an ES module; this test file is compiled as CommonJS.
let parseToml: typeof import("smol-toml", { with: { "resolution-mode": "import" }})["parse"];
beforeAll(async () => {
  ({ parse: parseToml } = await import("smol-toml"));
  // The node's own config.toml: what containerd 1.6 writes, with the systemd cgroup driver on.
  containerdDefault = (await runOk("containerd", ["config", "default"])).stdout.replace("SystemdCgroup = false", "SystemdCgroup = true");
});

it.concurrent.for([
  ["docker", true],
  ["docker", false],
  ["containerd", true],
  ["containerd", false],
] as const)("passes shellcheck for a %s node, with proxy and GPU: %s", async ([runtime, proxyAndGpu], { expect }) => {
  const base = nodeInput(runtime);
  const script = scriptFor({
    ...base,
    node: { ...base.node, gpu: proxyAndGpu },
    proxy: proxyAndGpu ? base.proxy : undefined,
    registry: { ...base.registry, mirrorEndpoint: "192.0.2.21:6002" },
  });
  const result = await run("shellcheck", ["--shell=sh", "-"], { input: script });
  expect(result.stdout + result.stderr).toBe("");
  expect(result.code).toBe(0);
});

describe.concurrent.each(VARIANTS)("apply script under $name", (variant) => {
  /**
   * A node set up by a version that did not remember what it merged into `config` (its runtime's
   * `.merged` removed): `second` undoes nothing of `first`'s, on that run or the next, when it remembers.
   */
  async function expectNothingUndoneWithoutMemory(expect: ExpectStatic, config: string, own: string, first: NodeInput, second: NodeInput) {
    const node = new FakeNode(variant);
    node.write(config, own);
    expect((await node.apply(scriptFor(first))).code).toBe(0);
    const merged = node.read(config);
    rmSync(node.path(`/var/lib/spark-gpu-stack/${first.node.runtime}.merged`));
    const script = scriptFor(second);
    expect((await node.apply(script)).code).toBe(0);
    expect(node.read(config)).toBe(merged);
    expect(node.restarts()).toEqual([]);
    expect((await node.apply(script)).code).toBe(0);
    expect(node.read(config)).toBe(merged);
  }

  describe("docker node", () => {
    it("first run writes the drop-in and merges daemon.json, restarting once; a second run restarts nothing", async ({ expect }) => {
      const node = new FakeNode(variant);
      node.write("/etc/docker/daemon.json", NODE_DAEMON_JSON);
      node.write("/etc/systemd/system/docker.service.d/override.conf", "[Service]\nLimitNOFILE=1048576\n"); // no proxy: no conflict
      const input = nodeInput("docker");
      const { plan, files } = planNode(input);
      const script = renderApplyScript(plan);

      const first = await node.apply(script);
      expect(first.stderr).toBe("");
      expect(first.code).toBe(0);
      expect(node.restarts()).toEqual(["daemon-reload", "reload docker", "restart docker"]);
      const dropIn = "/etc/systemd/system/docker.service.d/http-proxy.conf";
      expect(node.read(dropIn)).toBe(files[dropIn]);
      // The percent-encoded credentials reach dockerd intact.
      expect(node.environment("docker")).toContain(`HTTPS_PROXY=${PROXY_URL}`);
      expect(node.environment("docker")).toContain(`NO_PROXY=${input.proxy!.noProxy.join(",")}`);
      const daemonJson = JSON.parse(node.read("/etc/docker/daemon.json"));
      expect(daemonJson).toEqual(mergeDaemonJson(JSON.parse(NODE_DAEMON_JSON), JSON.parse(files["/etc/docker/daemon.json"])));
      expect(daemonJson).toMatchObject({
        "log-driver": "journald",
        "data-root": "/srv/docker",
        dns: ["192.0.2.53", "192.0.2.54"],
        runtimes: { runsc: { path: "/usr/bin/runsc" } },
      });
      expect(node.read("/var/lib/spark-gpu-stack/original/etc/docker/daemon.json")).toBe(NODE_DAEMON_JSON);
      expect(existsSync(node.path(`/var/lib/spark-gpu-stack/original${dropIn}.absent`))).toBe(true);
      expect(first.stdout).not.toContain(PASSWORD);
      expect(first.stdout).not.toContain("p%40ss");

      const written = node.read("/etc/docker/daemon.json");
      const second = await node.apply(script);
      expect(second.code).toBe(0);
      expect(node.restarts()).toEqual([]);
      expect(node.calls()).toContain("show --property=MainPID docker"); // still verified
      expect(node.read("/etc/docker/daemon.json")).toBe(written);
    });

    it.for([
      ["no file", undefined],
      ["an empty file", ""],
      ["an empty object", "{}"],
      [
        "one compact line",
        '{"debug":true,"insecure-registries":["old:5000"],"runtimes":{"nvidia":{"path":"/old"},"crun":{"path":"/usr/bin/crun","runtimeArgs":["--x"]}}}',
      ],
      [
        "strings that look like JSON syntax",
        '{\n\t"labels": ["a,b", "{c}", "d\\"]e", "\\u00e9\\\\"],\n\t"log-opts": {"max-size": "10m", "tag": "{{.Name}}"},\n\t"runtimes": null\n}\n',
      ],
      [
        "numbers and nested arrays",
        '{ "max-concurrent-downloads": 3, "default-ulimits": {"nofile": {"Name": "nofile", "Hard": 64000, "Soft": 64000}}, "x": [[1, 2], [], {"y": -1.5e3}], "live-restore": false }',
      ],
    ])("merges into %s as mergeDaemonJson does, and a second merge changes no byte", async ([_, existing], { expect }) => {
      const node = new FakeNode(variant);
      if (existing !== undefined) node.write("/etc/docker/daemon.json", existing);
      const { plan, files } = planNode(
        nodeInput("docker", { registry: { endpoint: "192.0.2.21:6001", mirrorEndpoint: "192.0.2.21:6002" } }),
      );
      const script = renderApplyScript(plan);
      expect((await node.apply(script)).code).toBe(0);
      const merged = node.read("/etc/docker/daemon.json");
      expect(JSON.parse(merged)).toEqual(
        mergeDaemonJson(JSON.parse(existing?.trim() ? existing : "{}"), JSON.parse(files["/etc/docker/daemon.json"])),
      );
      expect((await node.apply(script)).code).toBe(0);
      expect(node.read("/etc/docker/daemon.json")).toBe(merged);
    });

    it("keeps the node's own registries and mirrors first and adds the stack's; a second run changes no byte", async ({ expect }) => {
      const node = new FakeNode(variant);
      node.write(
        "/etc/docker/daemon.json",
        '{\n  "insecure-registries": [\n    "corp.example.com:5000",\n    "192.0.2.21:6001"\n  ],\n  "registry-mirrors": ["https://mirror.corp.example.com"]\n}\n',
      );
      const script = scriptFor(nodeInput("docker", { registry: { endpoint: "192.0.2.21:6001", mirrorEndpoint: "192.0.2.21:6002" } }));
      expect((await node.apply(script)).code).toBe(0);
      const merged = node.read("/etc/docker/daemon.json");
      expect(JSON.parse(merged)).toMatchObject({
        "insecure-registries": ["corp.example.com:5000", "192.0.2.21:6001", "192.0.2.21:6002"],
        "registry-mirrors": ["https://mirror.corp.example.com", "http://192.0.2.21:6002"],
      });
      expect((await node.apply(script)).code).toBe(0);
      expect(node.read("/etc/docker/daemon.json")).toBe(merged);
      expect(node.restarts()).toEqual([]);
    });

    describe("daemon.json entries the stack no longer renders", () => {
      /** A node's own daemon.json with keys of each kind the stack sets. */
      const OWN_KEYS = `{
  "log-driver": "journald",
  "insecure-registries": ["corp.example.com:5000"],
  "registry-mirrors": ["https://mirror.corp.example.com"],
  "default-runtime": "runsc",
  "runtimes": {
    "runsc": { "path": "/usr/bin/runsc" }
  }
}
`;
      const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
      const insecure = nodeInput("docker");
      const trusted = nodeInput("docker", { registry: { endpoint: "192.0.2.21:6001", caCertificate: CA } });
      const withMirror = nodeInput("docker", {
        registry: { endpoint: "192.0.2.21:6001", mirrorEndpoint: "192.0.2.21:6002", caCertificate: CA },
      });
      const withoutGpu = { ...insecure, node: { ...insecure.node, gpu: false } };
      const daemonJson = (node: FakeNode) => JSON.parse(node.read("/etc/docker/daemon.json"));

      it.for([
        ["an insecure registry, then the stack's CA", OWN_KEYS, insecure, trusted, { "insecure-registries": ["corp.example.com:5000"] }],
        ["an insecure registry, then the stack's CA, on a node without daemon.json", undefined, insecure, trusted, {}],
        [
          "the mirror, then none",
          OWN_KEYS,
          withMirror,
          trusted,
          { "registry-mirrors": ["https://mirror.corp.example.com"], "insecure-registries": ["corp.example.com:5000"] },
        ],
        [
          "a GPU node, then not",
          OWN_KEYS,
          insecure,
          withoutGpu,
          { "default-runtime": "runsc", runtimes: { runsc: { path: "/usr/bin/runsc" } } },
        ],
        [
          "a GPU node without a default runtime of its own, then not",
          NODE_DAEMON_JSON,
          insecure,
          withoutGpu,
          { runtimes: { runsc: { path: "/usr/bin/runsc" } } },
        ],
        ["DNS servers, then none", NODE_DAEMON_JSON, insecure, { ...insecure, dns: [] }, { dns: ["8.8.8.8"] }],
      ] as [string, string | undefined, NodeInput, NodeInput, Record<string, unknown>][])(
        "takes out what it merged for %s, keeping the node's own, restarting once; a further run changes nothing",
        async ([_, own, before, after, kept], { expect }) => {
          const node = new FakeNode(variant);
          if (own !== undefined) node.write("/etc/docker/daemon.json", own);
          expect((await node.apply(scriptFor(before))).code).toBe(0);
          const { plan, files } = planNode(after);
          const script = renderApplyScript(plan);

          const undone = await node.apply(script);
          expect(undone.stderr).toBe("");
          expect(undone.code).toBe(0);
          // As if the stack had merged this config into the node's own file, and never the one before.
          const expected = mergeDaemonJson(JSON.parse(own ?? "{}"), JSON.parse(files["/etc/docker/daemon.json"]));
          expect(daemonJson(node)).toEqual(expected);
          expect(daemonJson(node)).toMatchObject(kept);
          if (own === undefined) expect(daemonJson(node)).not.toHaveProperty("insecure-registries");
          if (!after.node.gpu) expect(daemonJson(node).runtimes).not.toHaveProperty("nvidia");
          expect(node.calls().filter((c) => c === "restart docker")).toHaveLength(1);

          const written = node.read("/etc/docker/daemon.json");
          const again = await node.apply(script);
          expect(again.code).toBe(0);
          expect(again.stdout).not.toContain("updated");
          expect(node.restarts()).toEqual([]);
          expect(node.read("/etc/docker/daemon.json")).toBe(written);
        },
      );

      it("takes out only what the stack merged: an entry the node had before the stack stays", async ({ expect }) => {
        const node = new FakeNode(variant);
        node.write("/etc/docker/daemon.json", '{"insecure-registries": ["192.0.2.21:6001"], "live-restore": false}\n');
        expect((await node.apply(scriptFor(insecure))).code).toBe(0);
        expect((await node.apply(scriptFor(trusted))).code).toBe(0);
        expect(daemonJson(node)).toMatchObject({ "insecure-registries": ["192.0.2.21:6001"], "live-restore": true });
      });

      it("undoes nothing on a node set up without the remembered settings (an earlier version)", async ({ expect }) => {
        await expectNothingUndoneWithoutMemory(expect, "/etc/docker/daemon.json", OWN_KEYS, insecure, trusted);
      });

      it("rolls an undo back when docker does not come back, and undoes it on the next run", async ({ expect }) => {
        const node = new FakeNode(variant);
        node.write("/etc/docker/daemon.json", OWN_KEYS);
        expect((await node.apply(scriptFor(insecure))).code).toBe(0);
        const gpu = node.read("/etc/docker/daemon.json");

        // The node's own default runtime, which this dockerd "cannot start with".
        const script = scriptFor(withoutGpu);
        const broken = await node.apply(script, { FAKE_BREAK_ON: '"default-runtime": "runsc"' });
        expect(broken.code).toBe(1);
        expect(broken.stderr).toContain("rolled back: docker runs with the previous files again");
        expect(node.calls().filter((c) => c === "restart docker")).toHaveLength(2);
        expect(node.read("/etc/docker/daemon.json")).toBe(gpu);

        expect((await node.apply(script)).code).toBe(0);
        expect(daemonJson(node)).toMatchObject({ "default-runtime": "runsc", runtimes: { runsc: { path: "/usr/bin/runsc" } } });
      });
    });

    it("rolls back to the previous files and restarts when docker does not come back", async ({ expect }) => {
      const node = new FakeNode(variant);
      node.write("/etc/docker/daemon.json", NODE_DAEMON_JSON);
      const script = scriptFor(nodeInput("docker"));
      expect((await node.apply(script)).code).toBe(0);
      const good = node.read("/etc/docker/daemon.json");

      // A DNS server this dockerd "cannot start with": the stand-in fails the restart.
      const broken = await node.apply(scriptFor(nodeInput("docker", { dns: ["192.0.2.99"] })), { FAKE_BREAK_ON: "192.0.2.99" });
      expect(broken.code).toBe(1);
      expect(broken.stderr).toContain("rolled back: docker runs with the previous files again");
      expect(node.calls().filter((c) => c === "restart docker")).toHaveLength(2);
      expect(node.read("/etc/docker/daemon.json")).toBe(good);
      expect(existsSync(join(node.fake, "active-docker"))).toBe(true);
      expect((await node.apply(script)).code).toBe(0);
      expect(node.restarts()).toEqual([]);
    });

    it("on a first run that fails, puts the node's own files back and removes the new drop-in", async ({ expect }) => {
      const node = new FakeNode(variant);
      node.write("/etc/docker/daemon.json", NODE_DAEMON_JSON);
      const result = await node.apply(scriptFor(nodeInput("docker")), { FAKE_BREAK_ON: "live-restore" });
      expect(result.code).toBe(1);
      expect(node.read("/etc/docker/daemon.json")).toBe(NODE_DAEMON_JSON);
      expect(existsSync(node.path("/etc/systemd/system/docker.service.d/http-proxy.conf"))).toBe(false);
      expect(node.calls().slice(-4)).toEqual(["restart docker", "daemon-reload", "restart docker", "is-active --quiet docker"]);
    });

    it("refuses a second drop-in that sets proxy variables too (the seed's https-proxy.conf), before changing anything", async ({
      expect,
    }) => {
      const node = new FakeNode(variant);
      const seedDropIn = "/etc/systemd/system/docker.service.d/https-proxy.conf";
      node.write(
        seedDropIn,
        '[Service]\nEnvironment="HTTPS_PROXY=http://old:pw@proxy.example.com:8080"\nEnvironment="https_proxy=http://old:pw@proxy.example.com:8080"\n',
      );
      node.write("/etc/systemd/system/docker.service.d/override.conf", "[Service]\nLimitNOFILE=1048576\n");
      const result = await node.apply(scriptFor(nodeInput("docker")));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `${node.path(seedDropIn)} sets proxy variables too, and systemd applies drop-ins in name order: remove it (/etc/systemd/system/docker.service.d/http-proxy.conf replaces it); nothing was changed`,
      );
      expect(existsSync(node.path("/etc/systemd/system/docker.service.d/http-proxy.conf"))).toBe(false);
      expect(node.restarts()).toEqual([]);
    });

    it.for(["docker", "containerd"] as const)(
      "refuses a GPU %s node without the NVIDIA runtime before changing anything",
      async (runtime, { expect }) => {
        const node = new FakeNode(variant);
        rmSync(node.path(NVIDIA_RUNTIME_BINARY));
        const result = await node.apply(scriptFor(nodeInput(runtime)));
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(
          `spark-gpu-stack ${runtime}: ${NVIDIA_RUNTIME_BINARY} is missing or not executable: install the NVIDIA Container Toolkit on this node, or set its nodes.hosts[].gpu to false; nothing was changed`,
        );
        expect(existsSync(node.path(`/etc/systemd/system/${runtime}.service.d/http-proxy.conf`))).toBe(false);
        expect(existsSync(node.path(runtime === "docker" ? "/etc/docker/daemon.json" : "/etc/containerd/config.toml"))).toBe(false);
        expect(node.restarts()).toEqual([]);
        expect(existsSync(node.path("/var/lib/spark-gpu-stack"))).toBe(false);

        const cpuNode = nodeInput(runtime);
        expect((await node.apply(scriptFor({ ...cpuNode, node: { ...cpuNode.node, gpu: false } }))).code).toBe(0);
      },
    );

    it.for([
      [
        "a flag dockerd also gets",
        { FAKE_DOCKERD_ARGS: "-H fd:// --dns=8.8.8.8" },
        undefined,
        "dockerd is started with --dns, and daemon.json now sets the same option",
      ],
      [
        "a daemon.json that is not JSON",
        {},
        '{"log-driver": "journald",}',
        "daemon.json is not a JSON object this script can merge into; nothing was changed",
      ],
    ] as [string, Record<string, string>, string | undefined, string][])(
      "refuses %s before changing anything",
      async ([_, env, existing, message], { expect }) => {
        const node = new FakeNode(variant);
        const original = existing ?? NODE_DAEMON_JSON;
        node.write("/etc/docker/daemon.json", original);
        const result = await node.apply(scriptFor(nodeInput("docker")), env);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(message);
        expect(node.read("/etc/docker/daemon.json")).toBe(original);
        expect(stagedLeft(node)).toEqual([]);
        expect(existsSync(node.path("/etc/systemd/system/docker.service.d/http-proxy.conf"))).toBe(false);
        expect(node.restarts()).toEqual([]);
      },
    );

    it("names the runtime when the node has no such service", async ({ expect }) => {
      const node = new FakeNode(variant);
      writeFileSync(join(node.fake, "missing-docker"), "");
      const result = await node.apply(scriptFor(nodeInput("docker")));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("this node has no docker service");
    });
  });

  describe("containerd node", () => {
    const CRI = "io.containerd.grpc.v1.cri";
    const V3 = 'version = 3\n\n[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n';

    it("sets config_path and the nvidia runtime in the node's config.toml, writes hosts.toml, restarts once; a second run restarts nothing", async ({
      expect,
    }) => {
      const node = new FakeNode(variant);
      node.write("/etc/containerd/config.toml", containerdDefault);
      const script = scriptFor(nodeInput("containerd"));
      const first = await node.apply(script);
      expect(first.stderr).toBe("");
      expect(first.code).toBe(0);
      expect(node.restarts()).toEqual(["daemon-reload", "restart containerd"]);
      expect(node.calls()).toContain("ctr plugins ls");

      const expected = parseToml(containerdDefault) as any;
      const cri = expected.plugins[CRI];
      cri.registry.config_path = "/etc/containerd/certs.d";
      cri.containerd.default_runtime_name = "nvidia";
      cri.containerd.runtimes.nvidia = {
        runtime_type: "io.containerd.runc.v2",
        options: { BinaryName: "/usr/bin/nvidia-container-runtime", SystemdCgroup: true },
      };
      expect(parseToml(node.read("/etc/containerd/config.toml"))).toEqual(expected);
      const hosts = parseToml(node.read("/etc/containerd/certs.d/192.0.2.21:6001/hosts.toml")) as any;
      expect(hosts).toEqual({
        server: "http://192.0.2.21:6001",
        host: { "http://192.0.2.21:6001": { capabilities: ["pull", "resolve"] } },
      });

      const written = node.read("/etc/containerd/config.toml");
      expect((await node.apply(script)).code).toBe(0);
      expect(node.restarts()).toEqual([]);
      expect(node.read("/etc/containerd/config.toml")).toBe(written);
    });

    it("changes only hosts.toml files for a new registry endpoint, removing the old endpoint's, without a restart", async ({ expect }) => {
      const node = new FakeNode(variant);
      node.write("/etc/containerd/config.toml", containerdDefault);
      expect((await node.apply(scriptFor(nodeInput("containerd")))).code).toBe(0);
      const moved = await node.apply(
        scriptFor(nodeInput("containerd", { registry: { endpoint: "192.0.2.21:6005", mirrorEndpoint: "192.0.2.21:6006" } })),
      );
      expect(moved.code).toBe(0);
      expect(node.restarts()).toEqual([]);
      expect(parseToml(node.read("/etc/containerd/certs.d/docker.io/hosts.toml"))).toEqual({
        server: "https://registry-1.docker.io",
        host: { "http://192.0.2.21:6006": { capabilities: ["pull", "resolve"] } },
      });
      expect(existsSync(node.path("/etc/containerd/certs.d/192.0.2.21:6005/hosts.toml"))).toBe(true);
      // The old endpoint's, which the stack installed, is gone; without a restart either.
      expect(moved.stdout).toContain("removed /etc/containerd/certs.d/192.0.2.21:6001/hosts.toml (no longer rendered)");
      expect(existsSync(node.path("/etc/containerd/certs.d/192.0.2.21:6001/hosts.toml"))).toBe(false);
    });

    it("writes on a node without config.toml exactly the config.toml render shows", async ({ expect }) => {
      const node = new FakeNode(variant);
      const { plan, files } = planNode(nodeInput("containerd"));
      expect((await node.apply(renderApplyScript(plan))).code).toBe(0);
      expect(node.read("/etc/containerd/config.toml")).toBe(files["/etc/containerd/config.toml"]);
    });

    it("uses containerd 2.x's plugin names in a version 3 config", async ({ expect }) => {
      const node = new FakeNode(variant);
      node.write("/etc/containerd/config.toml", V3);
      expect((await node.apply(scriptFor(nodeInput("containerd")))).code).toBe(0);
      const config = parseToml(node.read("/etc/containerd/config.toml")) as any;
      expect(config.plugins["io.containerd.cri.v1.images"].registry.config_path).toBe("/etc/containerd/certs.d");
      expect(config.plugins["io.containerd.cri.v1.runtime"].containerd).toEqual({
        default_runtime_name: "nvidia",
        runtimes: {
          runc: { options: { SystemdCgroup: true } },
          nvidia: {
            runtime_type: "io.containerd.runc.v2",
            options: { BinaryName: "/usr/bin/nvidia-container-runtime", SystemdCgroup: true },
          },
        },
      });
      expect(config.plugins[CRI]).toBeUndefined();
    });

    describe("config.toml keys the stack no longer renders", () => {
      const gpu = nodeInput("containerd");
      const withoutGpu = { ...gpu, node: { ...gpu.node, gpu: false } };
      /** The config.toml the stack writes into the node's own (undefined: none) for input, on a node it never configured. */
      async function freshlyWritten(own: string | undefined, input: NodeInput, expect: ExpectStatic): Promise<string> {
        const fresh = new FakeNode(variant);
        if (own !== undefined) fresh.write("/etc/containerd/config.toml", own);
        expect((await fresh.apply(scriptFor(input))).code).toBe(0);
        return fresh.read("/etc/containerd/config.toml");
      }

      it.for([
        ["a GPU node with containerd's default config, then not", () => containerdDefault, "runc"],
        ["a GPU node without a default runtime of its own (layout 3), then not", () => V3, undefined],
        ["a GPU node without config.toml, then not", () => undefined, undefined],
      ] as [string, () => string | undefined, string | undefined][])(
        "takes out what it set for %s, putting the node's own default runtime back, restarting once; a further run changes nothing",
        async ([_, ownOf, defaultRuntime], { expect }) => {
          const own = ownOf();
          const node = new FakeNode(variant);
          if (own !== undefined) node.write("/etc/containerd/config.toml", own);
          expect((await node.apply(scriptFor(gpu))).code).toBe(0);
          const script = scriptFor(withoutGpu);

          const undone = await node.apply(script);
          expect(undone.stderr).toBe("");
          expect(undone.code).toBe(0);
          expect(node.calls().filter((c) => c === "restart containerd")).toHaveLength(1);
          // As if the stack had set this config's keys in the node's own file, and never the GPU ones.
          expect(node.read("/etc/containerd/config.toml")).toBe(await freshlyWritten(own, withoutGpu, expect));
          const config = parseToml(node.read("/etc/containerd/config.toml")) as any;
          const containerd = (config.plugins[CRI] ?? config.plugins["io.containerd.cri.v1.runtime"]).containerd;
          expect(containerd?.default_runtime_name).toBe(defaultRuntime);
          expect(containerd?.runtimes?.nvidia).toBeUndefined();
          expect(node.read("/etc/containerd/config.toml")).not.toContain("nvidia");

          const written = node.read("/etc/containerd/config.toml");
          const again = await node.apply(script);
          expect(again.code).toBe(0);
          expect(again.stdout).not.toContain("updated");
          expect(node.restarts()).toEqual([]);
          expect(node.read("/etc/containerd/config.toml")).toBe(written);
        },
      );

      it("undoes nothing on a node set up without the remembered settings (an earlier version)", async ({ expect }) => {
        await expectNothingUndoneWithoutMemory(expect, "/etc/containerd/config.toml", containerdDefault, gpu, withoutGpu);
      });
    });

    it("rolls back when the CRI plugin rejects the new config although containerd runs", async ({ expect }) => {
      const node = new FakeNode(variant);
      node.write("/etc/containerd/config.toml", containerdDefault);
      writeFileSync(join(node.fake, "cri-error"), "");
      const result = await node.apply(scriptFor(nodeInput("containerd")));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("rolled back: containerd runs with the previous files again");
      expect(node.read("/etc/containerd/config.toml")).toBe(containerdDefault);
      expect(existsSync(node.path("/etc/containerd/certs.d/192.0.2.21:6001/hosts.toml"))).toBe(false);
    });

    it.for([
      [
        "inline registry mirrors",
        `[plugins."${CRI}".registry.mirrors."docker.io"]\n  endpoint = ["https://mirror.example"]\n`,
        `[plugins."${CRI}".registry.mirrors."docker.io"] configures a registry mirror inline, which containerd refuses next to config_path: move it to /etc/containerd/certs.d/<host>/hosts.toml`,
      ],
      ["the first config layout", '[plugins.cri]\n  sandbox_image = "pause:3.9"\n', "has no 'version = 2' or 'version = 3' line"],
    ])("refuses %s before changing anything", async ([_, extra, message], { expect }) => {
      const node = new FakeNode(variant);
      const original = extra.startsWith("[plugins.cri]") ? extra : `${containerdDefault}${extra}`;
      node.write("/etc/containerd/config.toml", original);
      const result = await node.apply(scriptFor(nodeInput("containerd")));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(message);
      expect(node.read("/etc/containerd/config.toml")).toBe(original);
      expect(node.restarts()).toEqual([]);
    });
  });

  describe("proxy values, interrupted runs and the lock", () => {
    const PENDING = "/var/lib/spark-gpu-stack/docker.restart-pending";
    const LOCK = "/run/spark-gpu-stack/apply.lock";

    it.for(["docker", "containerd"] as const)(
      "keeps the %s proxy's credentials in a 0600 EnvironmentFile that the drop-in names, none in the drop-in",
      async (runtime, { expect }) => {
        const node = new FakeNode(variant);
        const { plan, files } = planNode(nodeInput(runtime));
        expect((await node.apply(renderApplyScript(plan))).code).toBe(0);
        const environmentFile = proxyEnvironmentFilePath(runtime);
        expect(node.read(environmentFile)).toBe(files[environmentFile]);
        expect(statSync(node.path(environmentFile)).mode & 0o777).toBe(0o600);
        expect(statSync(node.path("/etc/spark-gpu-stack")).mode & 0o777).toBe(0o700);
        const dropIn = node.read(dropInPath(runtime));
        expect(dropIn).toContain(`EnvironmentFile=${environmentFile}\n`);
        expect(dropIn).not.toMatch(/svc-spark|p%40ss|_PROXY=/i);
        expect(node.environment(runtime)).toEqual(Object.entries(plan.proxyEnvironment!).map(([name, value]) => `${name}=${value}`));
      },
    );

    it("restarts a runtime whose process has stale proxy values although no file changed, and leaves a current one alone", async ({
      expect,
    }) => {
      const node = new FakeNode(variant);
      const script = scriptFor(nodeInput("docker"));
      expect((await node.apply(script)).code).toBe(0);
      const current = node.environment("docker");
      expect((await node.apply(script)).code).toBe(0);
      expect(node.restarts()).toEqual([]);

      // Started with the old password (its drop-in changed by hand, or by an older script).
      node.startedWith(
        "docker",
        current.map((v) => v.replace("p%40ss", "old")),
      );
      const stale = await node.apply(script);
      expect(stale.code).toBe(0);
      expect(stale.stdout).toContain("docker runs with other proxy values than");
      expect(node.restarts()).toEqual(["daemon-reload", "restart docker"]);
      expect(node.environment("docker")).toEqual(current);

      node.startedWith(
        "docker",
        current.filter((v) => !v.startsWith("no_proxy=")),
      );
      expect((await node.apply(script)).code).toBe(0);
      expect(node.restarts()).toEqual(["daemon-reload", "restart docker"]);
      expect((await node.apply(script)).code).toBe(0);
      expect(node.restarts()).toEqual([]);
    });

    it.for(["daemon-reload", "reload docker", "restart docker"])(
      "finishes a run killed at `systemctl %s`, after the drop-in moved: the next one restarts, only then is it configured",
      async (call, { expect }) => {
        const node = new FakeNode(variant);
        node.write("/etc/docker/daemon.json", NODE_DAEMON_JSON);
        const script = scriptFor(nodeInput("docker"));
        const killed = await node.apply(script, { FAKE_KILL_ON: call });
        expect(killed.code).not.toBe(0);
        expect(killed.stdout).not.toContain("configured");
        expect(existsSync(node.path("/etc/systemd/system/docker.service.d/http-proxy.conf"))).toBe(true);
        expect(node.read(PENDING)).toContain("restart");

        const next = await node.apply(script);
        expect(next.stderr).toBe("");
        expect(next.code).toBe(0);
        expect(next.stdout).toContain("an earlier run stopped before docker ran with the files it installed; this run finishes it");
        expect(next.stdout).not.toContain("updated");
        expect(node.restarts()).toEqual(["daemon-reload", "reload docker", "restart docker"]);
        expect(next.stdout.trim().split("\n").at(-1)).toBe("spark-gpu-stack docker: configured");
        expect(existsSync(node.path(PENDING))).toBe(false);
        expect(existsSync(node.path("/var/lib/spark-gpu-stack/previous"))).toBe(false);
        expect((await node.apply(script)).code).toBe(0);
        expect(node.restarts()).toEqual([]);
      },
    );

    it("rolls a finished interrupted run back to the files from before it when the runtime does not come back", async ({ expect }) => {
      const node = new FakeNode(variant);
      node.write("/etc/docker/daemon.json", NODE_DAEMON_JSON);
      const script = scriptFor(nodeInput("docker", { dns: ["192.0.2.99"] }));
      expect((await node.apply(script, { FAKE_KILL_ON: "daemon-reload" })).code).not.toBe(0);
      const next = await node.apply(script, { FAKE_BREAK_ON: "192.0.2.99" });
      expect(next.code).toBe(1);
      expect(next.stderr).toContain("rolled back: docker runs with the previous files again");
      expect(node.read("/etc/docker/daemon.json")).toBe(NODE_DAEMON_JSON);
      expect(existsSync(node.path("/etc/systemd/system/docker.service.d/http-proxy.conf"))).toBe(false);
      expect(existsSync(node.path(PENDING))).toBe(false);
    });

    it("removes the staged files a run killed while staging left, even those the next run does not stage", async ({ expect }) => {
      const node = new FakeNode(variant);
      node.write("/etc/docker/daemon.json", NODE_DAEMON_JSON);
      // An awk that kills the run when it merges daemon.json, after the owned files are staged.
      const bin = tempDir("killing-awk");
      const awk = variant.awk === "/bin/busybox" ? "/bin/busybox awk" : variant.awk;
      writeFileSync(join(bin, "awk"), `#!/bin/sh\n[ -z "\${SETTINGS:-}" ] || kill -KILL "$PPID"\nexec ${awk} "$@"\n`);
      chmodSync(join(bin, "awk"), 0o755);
      const script = scriptFor(nodeInput("docker"));
      const killed = await node.apply(script, { PATH: `${bin}:${process.env.PATH}` });
      expect(killed.code).not.toBe(0);
      expect(stagedLeft(node).sort()).toEqual(
        [
          "etc/docker/daemon.json.spark-gpu-stack-new",
          "etc/spark-gpu-stack/docker-proxy.env.spark-gpu-stack-new",
          "etc/systemd/system/docker.service.d/http-proxy.conf.spark-gpu-stack-new",
        ].sort(),
      );
      expect(existsSync(node.path(PENDING))).toBe(false);

      // The next run has no proxy: it stages neither proxy file, and still removes them, credentials inside.
      const next = await node.apply(scriptFor({ ...nodeInput("docker"), proxy: undefined }));
      expect(next.code).toBe(0);
      expect(stagedLeft(node)).toEqual([]);
      expect(node.restarts()).toEqual(["reload docker", "restart docker"]);
    });

    it("finishes the run when the reader of its output is gone (SIGPIPE ignored)", async ({ expect }) => {
      const node = new FakeNode(variant);
      const script = scriptFor(nodeInput("docker"));
      const dropped = await node.apply(script, {}, { stdoutClosed: true });
      expect(dropped.code).toBe(0);
      expect(node.restarts()).toEqual(["daemon-reload", "reload docker", "restart docker"]);
      expect(existsSync(node.path(PENDING))).toBe(false);
      expect((await node.apply(script)).stdout.trim().split("\n").at(-1)).toBe("spark-gpu-stack docker: configured");
      expect(node.restarts()).toEqual([]);
    });

    it("waits for a run that holds the node's lock, then gives up naming it, having changed nothing", async ({
      expect,
      onTestFinished,
    }) => {
      const node = new FakeNode(variant);
      const lock = node.path(LOCK);
      mkdirSync(dirname(lock), { recursive: true });
      // The other run: flock(1) holds the lock and records who holds it, as the script does.
      const holder = spawn("flock", [lock, "sh", "-c", 'printf "pid 4242, started 2026-01-01T00:00:00Z\\n" >"$0"; exec sleep 60', lock], {
        stdio: "ignore",
        detached: true,
      });
      // Its process group: the sleep holds the lock too.
      const release = () => {
        if (holder.exitCode === null && holder.signalCode === null) process.kill(-holder.pid!, "SIGKILL");
      };
      onTestFinished(release);
      await waitFor("the holder to take the lock", async () => existsSync(lock) && readFileSync(lock, "utf8") !== "", 10_000);
      const script = scriptFor(nodeInput("docker"));
      const refused = await node.apply(script, { SPARK_GPU_STACK_LOCK_WAIT: "2" });
      expect(refused.code).toBe(1);
      expect(refused.stdout).toContain(
        `waiting for another run of this script (pid 4242, started 2026-01-01T00:00:00Z) to release ${lock}`,
      );
      expect(refused.stderr).toContain(
        `node gpu-1: another run of this script (pid 4242, started 2026-01-01T00:00:00Z) still holds ${lock} after 2s, maybe restarting docker: run again once it has finished; nothing was changed`,
      );
      expect(node.calls()).toEqual([]);
      expect(existsSync(node.path("/var/lib/spark-gpu-stack"))).toBe(false);

      const exited = new Promise((resolve) => holder.once("exit", resolve));
      release();
      await exited;
      expect((await node.apply(script)).code).toBe(0);
      expect(readFileSync(lock, "utf8")).toMatch(/^pid \d+, started \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
    });

    it("lets two runs started at once take turns: the second waits, finds nothing to do, and restarts nothing", async ({ expect }) => {
      const node = new FakeNode(variant);
      const script = scriptFor(nodeInput("docker"));
      const env = { FAKE_RESTART_SECONDS: "3" };
      const runs = await Promise.all([node.apply(script, env), node.apply(script, env)]);
      expect(runs.map((r) => r.code)).toEqual([0, 0]);
      expect(runs.filter((r) => r.stdout.includes("waiting for another run of this script"))).toHaveLength(1);
      expect(runs.filter((r) => r.stdout.includes("updated"))).toHaveLength(1);
      expect(node.calls().filter((c) => c === "restart docker")).toHaveLength(1);
    });
  });

  describe("files no longer rendered", () => {
    const ORIGINAL = "/var/lib/spark-gpu-stack/original";
    const withProxy = (runtime: NodeConfig["runtime"]) => scriptFor(nodeInput(runtime));
    const withoutProxy = (runtime: NodeConfig["runtime"]) => scriptFor(nodeInput(runtime, { proxy: undefined }));
    const proxyVariables = (environment: string[]) => environment.filter((v) => /^(https?|no)_proxy=/i.test(v));

    it.for(["docker", "containerd"] as const)(
      "removes the stack's proxy drop-in and EnvironmentFile from a %s node once the config drops the proxy, restarting once",
      async (runtime, { expect }) => {
        const node = new FakeNode(variant);
        expect((await node.apply(withProxy(runtime))).code).toBe(0);
        expect(proxyVariables(node.environment(runtime))).not.toEqual([]);

        const dropped = await node.apply(withoutProxy(runtime));
        expect(dropped.stderr).toBe("");
        expect(dropped.code).toBe(0);
        expect(dropped.stdout).toContain(`removed ${dropInPath(runtime)} (no longer rendered)`);
        expect(dropped.stdout).toContain(`removed ${proxyEnvironmentFilePath(runtime)} (no longer rendered)`);
        expect(existsSync(node.path(dropInPath(runtime)))).toBe(false);
        expect(existsSync(node.path(proxyEnvironmentFilePath(runtime)))).toBe(false);
        expect(node.restarts()).toEqual(["daemon-reload", `restart ${runtime}`]);
        expect(proxyVariables(node.environment(runtime))).toEqual([]);
        // Forgotten: should the proxy come back, the node's files then are the originals.
        expect(existsSync(node.path(`${ORIGINAL}${dropInPath(runtime)}.absent`))).toBe(false);
        expect(node.read(`/var/lib/spark-gpu-stack/${runtime}.owned`)).not.toContain("proxy");

        const again = await node.apply(withoutProxy(runtime));
        expect(again.code).toBe(0);
        expect(again.stdout).not.toMatch(/removed|updated|put the node's own/);
        expect(node.restarts()).toEqual([]);

        expect((await node.apply(withProxy(runtime))).code).toBe(0);
        expect(node.environment(runtime)).toContain(`HTTPS_PROXY=${PROXY_URL}`);
      },
    );

    it("puts the node's own http-proxy.conf back that the stack's replaced, and leaves the node's own proxy drop-ins alone", async ({
      expect,
    }) => {
      const node = new FakeNode(variant);
      const dropIn = dropInPath("docker");
      const own = '[Service]\nEnvironment="HTTP_PROXY=http://node-proxy.example.com:3128"\n';
      node.write(dropIn, own);
      expect((await node.apply(withProxy("docker"))).code).toBe(0);
      expect(node.read(dropIn)).not.toBe(own);

      const dropped = await node.apply(withoutProxy("docker"));
      expect(dropped.stderr).toBe("");
      expect(dropped.code).toBe(0);
      expect(dropped.stdout).toContain(`put the node's own ${dropIn} back (no longer rendered)`);
      expect(node.read(dropIn)).toBe(own);
      expect(existsSync(node.path(proxyEnvironmentFilePath("docker")))).toBe(false);
      expect(node.restarts()).toEqual(["daemon-reload", "restart docker"]);
      expect(node.environment("docker")).toEqual(["HTTP_PROXY=http://node-proxy.example.com:3128"]);

      // A drop-in the node gets later, with its own proxy: the stack never installed it.
      const later = "/etc/systemd/system/docker.service.d/https-proxy.conf";
      node.write(later, '[Service]\nEnvironment="HTTPS_PROXY=http://node-proxy.example.com:3128"\n');
      const again = await node.apply(withoutProxy("docker"));
      expect(again.code).toBe(0);
      expect(node.restarts()).toEqual([]);
      expect(node.read(dropIn)).toBe(own);
      expect(existsSync(node.path(later))).toBe(true);
    });

    it("rolls the removal back when docker still runs with a proxy after the restart", async ({ expect }) => {
      const node = new FakeNode(variant);
      expect((await node.apply(withProxy("docker"))).code).toBe(0);
      const files = Object.fromEntries([dropInPath("docker"), proxyEnvironmentFilePath("docker")].map((path) => [path, node.read(path)]));

      // A proxy systemd gives every service (`systemctl set-environment`), which the stack's file hid.
      const broken = await node.apply(withoutProxy("docker"), { FAKE_MANAGER_ENVIRONMENT: "https_proxy=http://elsewhere:3128" });
      expect(broken.code).toBe(1);
      expect(broken.stderr).toContain("rolled back: docker runs with the previous files again");
      for (const [path, content] of Object.entries(files)) expect(node.read(path)).toBe(content);
      expect(statSync(node.path(proxyEnvironmentFilePath("docker"))).mode & 0o777).toBe(0o600);
      expect(node.restarts()).toEqual(["daemon-reload", "restart docker", "daemon-reload", "restart docker"]);
      expect(node.environment("docker")).toContain(`HTTPS_PROXY=${PROXY_URL}`);
      expect(existsSync(node.path("/var/lib/spark-gpu-stack/docker.restart-pending"))).toBe(false);

      expect((await node.apply(withoutProxy("docker"))).code).toBe(0);
      expect(existsSync(node.path(dropInPath("docker")))).toBe(false);
      expect(proxyVariables(node.environment("docker"))).toEqual([]);
    });

    it("finishes a removal killed at `systemctl restart docker`: the next run restarts and checks the proxy is gone", async ({
      expect,
    }) => {
      const node = new FakeNode(variant);
      expect((await node.apply(withProxy("docker"))).code).toBe(0);
      expect((await node.apply(withoutProxy("docker"), { FAKE_KILL_ON: "restart docker" })).code).not.toBe(0);
      expect(existsSync(node.path(dropInPath("docker")))).toBe(false);

      // The next run finds no file to remove, but owes the restart and its check.
      const failing = await node.apply(withoutProxy("docker"), { FAKE_MANAGER_ENVIRONMENT: "HTTP_PROXY=http://elsewhere:3128" });
      expect(failing.code).toBe(1);
      expect(failing.stderr).toContain("rolled back");
      expect(node.environment("docker")).toContain(`HTTPS_PROXY=${PROXY_URL}`);

      expect((await node.apply(withoutProxy("docker"), { FAKE_KILL_ON: "restart docker" })).code).not.toBe(0);
      const next = await node.apply(withoutProxy("docker"));
      expect(next.code).toBe(0);
      expect(next.stdout).toContain("an earlier run stopped before docker ran with the files it installed; this run finishes it");
      expect(node.restarts()).toEqual(["daemon-reload", "restart docker"]);
      expect(proxyVariables(node.environment("docker"))).toEqual([]);
      expect((await node.apply(withoutProxy("docker"))).code).toBe(0);
      expect(node.restarts()).toEqual([]);
    });

    it("removes the proxy files a version of the script without the list of owned files installed, and no merged file", async ({
      expect,
    }) => {
      const node = new FakeNode(variant);
      node.write("/etc/docker/daemon.json", NODE_DAEMON_JSON);
      expect((await node.apply(withProxy("docker"))).code).toBe(0);
      const merged = node.read("/etc/docker/daemon.json");
      rmSync(node.path("/var/lib/spark-gpu-stack/docker.owned"));
      expect((await node.apply(withoutProxy("docker"))).code).toBe(0);
      expect(existsSync(node.path(dropInPath("docker")))).toBe(false);
      expect(existsSync(node.path(proxyEnvironmentFilePath("docker")))).toBe(false);
      expect(node.read("/etc/docker/daemon.json")).toBe(merged);
      expect(proxyVariables(node.environment("docker"))).toEqual([]);
    });
  });

  describe("a node whose runtime changes", () => {
    const STATE = "/var/lib/spark-gpu-stack";
    const dockerFiles = [dropInPath("docker"), proxyEnvironmentFilePath("docker"), "/etc/docker/daemon.json"];
    const proxyVariables = (environment: string[]) => environment.filter((v) => /^(https?|no)_proxy=/i.test(v));

    /** A node set up as docker with a proxy, its own daemon.json merged into. */
    async function dockerNode(expect: ExpectStatic): Promise<FakeNode> {
      const node = new FakeNode(variant);
      node.write("/etc/docker/daemon.json", NODE_DAEMON_JSON);
      expect((await node.apply(scriptFor(nodeInput("docker")))).code).toBe(0);
      expect(node.environment("docker")).toContain(`HTTPS_PROXY=${PROXY_URL}`);
      return node;
    }

    /** docker's files as before the stack, and nothing of docker's left in the script's state. */
    function expectDockerPutBack(node: FakeNode, expect: ExpectStatic): void {
      expect(existsSync(node.path(dropInPath("docker")))).toBe(false);
      expect(existsSync(node.path(proxyEnvironmentFilePath("docker")))).toBe(false);
      expect(node.read("/etc/docker/daemon.json")).toBe(NODE_DAEMON_JSON);
      for (const path of [`${STATE}/docker.owned`, `${STATE}/docker.merged`, `${STATE}/docker.restart-pending`, `${STATE}/previous`])
        expect(existsSync(node.path(path))).toBe(false);
      // Forgotten: should the node become docker again, its files then are the originals.
      for (const path of dockerFiles)
        for (const copy of [path, `${path}.absent`]) expect(existsSync(node.path(`${STATE}/original${copy}`))).toBe(false);
    }

    it("keeps the stack's keys in daemon.json when the node goes back to docker after a switch that failed half-way", async ({
      expect,
    }) => {
      const node = await dockerNode(expect);
      const merged = node.read("/etc/docker/daemon.json");
      // docker does not come back with the node's own daemon.json: the put-back stops before it forgets docker's list.
      expect((await node.apply(scriptFor(nodeInput("containerd")), { FAKE_BREAK_ON: "runsc" })).code).toBe(1);
      const back = scriptFor(nodeInput("docker"));
      const result = await node.apply(back);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(node.read("/etc/docker/daemon.json")).toBe(merged);
      expect((await node.apply(back)).code).toBe(0);
      expect(node.restarts()).toEqual([]);
    });

    it("finishes a switch after docker was removed with its /etc/docker: nothing to put back there", async ({ expect }) => {
      const node = await dockerNode(expect);
      rmSync(node.path("/etc/docker"), { recursive: true });
      rmSync(join(node.fake, "active-docker"));
      const script = scriptFor(nodeInput("containerd"));
      const switched = await node.apply(script);
      expect(switched.stderr).toBe("");
      expect(switched.code).toBe(0);
      expect(existsSync(node.path("/etc/docker"))).toBe(false);
      expect(existsSync(node.path(`${STATE}/docker.owned`))).toBe(false);
      expect((await node.apply(script)).code).toBe(0);
      expect(node.restarts()).toEqual([]);
    });

    it("puts docker's files back as they were before the stack once the node is containerd, and restarts docker without its proxy; a second run changes nothing", async ({
      expect,
    }) => {
      const node = await dockerNode(expect);
      const { plan, files } = planNode(nodeInput("containerd"));
      const script = renderApplyScript(plan);
      const switched = await node.apply(script);
      expect(switched.stderr).toBe("");
      expect(switched.code).toBe(0);
      expect(switched.stdout).toContain(`spark-gpu-stack docker: removed ${proxyEnvironmentFilePath("docker")} (no longer rendered)`);
      expect(switched.stdout).toContain("spark-gpu-stack docker: put the node's own /etc/docker/daemon.json back (no longer rendered)");
      expectDockerPutBack(node, expect);
      expect(node.restarts()).toEqual(["daemon-reload", "restart containerd", "daemon-reload", "restart docker"]);
      expect(proxyVariables(node.environment("docker"))).toEqual([]);
      for (const path of [dropInPath("containerd"), proxyEnvironmentFilePath("containerd"), "/etc/containerd/config.toml"])
        expect(node.read(path)).toBe(files[path]);
      expect(node.environment("containerd")).toContain(`HTTPS_PROXY=${PROXY_URL}`);
      expect(node.read(`${STATE}/containerd.owned`)).toContain(dropInPath("containerd"));

      const again = await node.apply(script);
      expect(again.code).toBe(0);
      expect(again.stdout).not.toMatch(/removed|updated|put the node's own|restarting/);
      expect(node.restarts()).toEqual([]);
    });

    it("puts containerd's config.toml back once the node is docker, forgetting what the stack set in it", async ({ expect }) => {
      const node = new FakeNode(variant);
      node.write("/etc/containerd/config.toml", containerdDefault);
      expect((await node.apply(scriptFor(nodeInput("containerd")))).code).toBe(0);
      expect(existsSync(node.path(`${STATE}/containerd.merged`))).toBe(true);
      const switched = await node.apply(scriptFor(nodeInput("docker")));
      expect(switched.stderr).toBe("");
      expect(switched.code).toBe(0);
      expect(node.read("/etc/containerd/config.toml")).toBe(containerdDefault);
      for (const path of [`${STATE}/containerd.owned`, `${STATE}/containerd.merged`, `${STATE}/original/etc/containerd/config.toml`])
        expect(existsSync(node.path(path))).toBe(false);
    });

    it("leaves a stopped docker stopped, reloading systemd only", async ({ expect }) => {
      const node = await dockerNode(expect);
      rmSync(join(node.fake, "active-docker"));
      const switched = await node.apply(scriptFor(nodeInput("containerd")));
      expect(switched.stderr).toBe("");
      expect(switched.code).toBe(0);
      expectDockerPutBack(node, expect);
      expect(node.restarts()).toEqual(["daemon-reload", "restart containerd", "daemon-reload"]);
      expect(existsSync(join(node.fake, "active-docker"))).toBe(false);
    });

    it("does not put the stack's files back when docker does not come back with the node's own, and forgets them once it is stopped", async ({
      expect,
    }) => {
      const node = await dockerNode(expect);
      const script = scriptFor(nodeInput("containerd"));
      // The node's own daemon.json names a runtime this dockerd "cannot start with".
      const failed = await node.apply(script, { FAKE_BREAK_ON: "runsc" });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain(
        "spark-gpu-stack docker: docker did not come back with the node's own files, as they were before the stack: journalctl -u docker tells why; stop docker if the node no longer uses it",
      );
      expect(existsSync(node.path(proxyEnvironmentFilePath("docker")))).toBe(false);
      expect(node.read("/etc/docker/daemon.json")).toBe(NODE_DAEMON_JSON);

      const next = await node.apply(script);
      expect(next.code).toBe(0);
      expect(node.restarts()).toEqual(["daemon-reload"]);
      expectDockerPutBack(node, expect);
    });

    it("finishes a switch killed at `systemctl restart docker`: the next run restarts docker, and only it", async ({ expect }) => {
      const node = await dockerNode(expect);
      const script = scriptFor(nodeInput("containerd"));
      const killed = await node.apply(script, { FAKE_KILL_ON: "restart docker" });
      expect(killed.code).not.toBe(0);
      expect(existsSync(node.path(dropInPath("docker")))).toBe(false);
      expect(node.read(`${STATE}/docker.restart-pending`)).toContain("restart");

      const next = await node.apply(script);
      expect(next.stderr).toBe("");
      expect(next.code).toBe(0);
      expect(next.stdout).toContain(
        "spark-gpu-stack docker: an earlier run stopped before docker ran with the files it installed; this run finishes it",
      );
      expect(node.restarts()).toEqual(["daemon-reload", "restart docker"]);
      expect(proxyVariables(node.environment("docker"))).toEqual([]);
      expectDockerPutBack(node, expect);
      expect((await node.apply(script)).code).toBe(0);
      expect(node.restarts()).toEqual([]);
    });
  });
});

it.concurrent("keeps a merged file's mode and owner, and its own files' modes", async ({ expect }) => {
  const node = new FakeNode(VARIANTS[0]);
  node.write("/etc/docker/daemon.json", NODE_DAEMON_JSON);
  chmodSync(node.path("/etc/docker/daemon.json"), 0o640);
  expect((await node.apply(scriptFor(nodeInput("docker")))).code).toBe(0);
  expect(statSync(node.path("/etc/docker/daemon.json")).mode & 0o777).toBe(0o640);
  const fresh = new FakeNode(VARIANTS[0]);
  expect((await fresh.apply(scriptFor(nodeInput("containerd")))).code).toBe(0);
  expect(statSync(fresh.path("/etc/containerd/config.toml")).mode & 0o777).toBe(0o644);
  expect(statSync(fresh.path("/etc/containerd/certs.d/192.0.2.21:6001/hosts.toml")).mode & 0o777).toBe(0o644);
  expect(statSync(fresh.path("/var/lib/spark-gpu-stack")).mode & 0o777).toBe(0o700);
});
