// The node renderers on their own: the daemon.json keys, containerd's config.toml keys and
// hosts.toml as TOML, and which files each kind of node gets. systemd reads the drop-in in
// render.system.test.ts.
import { beforeAll, describe, expect, it } from "vitest";
import {
  containerdSettings,
  desiredDaemonJson,
  DOCKERD_FLAGS,
  mergeDaemonJson,
  planNode,
  renderContainerdConfig,
  renderHostsToml,
  type NodeInput,
} from "../../components/nodes/render";
import type { NodeConfig } from "../../components/nodes/schema";

let parseToml: typeof import("smol-toml", { with: { "resolution-mode": "import" }})["parse"];
beforeAll(async () => {
  ({ parse: parseToml } = await import("smol-toml")); // an ES module; this file compiles to CommonJS
});

const node = (runtime: NodeConfig["runtime"], gpu: boolean): NodeConfig => ({
  name: "n1",
  address: "192.0.2.21",
  sshUser: "root",
  sshPort: 22,
  runtime,
  gpu,
});
const REGISTRY = { endpoint: "192.0.2.21:6001" };
/** Stands for the registry's CA: the renderers place it as given. */
const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const PROXY = {
  http: "http://proxy.example.com:8080",
  https: "http://proxy.example.com:8443",
  noProxy: ["localhost", "127.0.0.1", "10.96.0.0/12", ".svc"],
};

describe("docker daemon.json keys", () => {
  it("on a GPU node with a plain-HTTP registry, its mirror and DNS: every key the issue lists", () => {
    expect(
      desiredDaemonJson({ node: node("docker", true), dns: ["192.0.2.53"], registry: { ...REGISTRY, mirrorEndpoint: "192.0.2.21:6002" } }),
    ).toEqual({
      "insecure-registries": ["192.0.2.21:6001", "192.0.2.21:6002"],
      "registry-mirrors": ["http://192.0.2.21:6002"],
      dns: ["192.0.2.53"],
      "live-restore": true,
      "default-runtime": "nvidia",
      runtimes: { nvidia: { path: "/usr/bin/nvidia-container-runtime" } },
    });
  });

  it("on a plain node with a TLS registry and no DNS servers: only live-restore, the node's DNS left alone", () => {
    expect(
      desiredDaemonJson({ node: node("docker", false), dns: [], registry: { endpoint: "registry.example.com:443", caCertificate: CA } }),
    ).toEqual({ "live-restore": true });
    expect(
      desiredDaemonJson({
        node: node("docker", false),
        dns: [],
        registry: { endpoint: "registry.example.com:443", caCertificate: CA, mirrorEndpoint: "mirror.example.com:443" },
      }),
    ).toEqual({
      "registry-mirrors": ["https://mirror.example.com:443"],
      "live-restore": true,
    });
  });

  it("knows the dockerd flag of every key it can set, so the script can refuse a doubled option", () => {
    const everything = desiredDaemonJson({
      node: node("docker", true),
      dns: ["192.0.2.53"],
      registry: { ...REGISTRY, mirrorEndpoint: "192.0.2.21:6002" },
    });
    expect(Object.keys(everything).filter((key) => DOCKERD_FLAGS[key] === undefined)).toEqual([]);
  });

  it("merges: desired keys win, runtimes keep the node's other runtimes, unrelated keys stay", () => {
    const existing = {
      "log-driver": "journald",
      dns: ["8.8.8.8"],
      runtimes: { runsc: { path: "/usr/bin/runsc" }, nvidia: { path: "/old" } },
    };
    expect(mergeDaemonJson(existing, { dns: ["192.0.2.53"], runtimes: { nvidia: { path: "/new" } } })).toEqual({
      "log-driver": "journald",
      dns: ["192.0.2.53"],
      runtimes: { runsc: { path: "/usr/bin/runsc" }, nvidia: { path: "/new" } },
    });
  });
});

describe("containerd config.toml keys", () => {
  it("on a GPU node: config_path, and nvidia as the default runtime, in layout 2's plugin names", () => {
    expect(parseToml(renderContainerdConfig(containerdSettings(2, true)))).toEqual({
      version: 2,
      plugins: {
        "io.containerd.grpc.v1.cri": {
          registry: { config_path: "/etc/containerd/certs.d" },
          containerd: {
            default_runtime_name: "nvidia",
            runtimes: { nvidia: { runtime_type: "io.containerd.runc.v2", options: { BinaryName: "/usr/bin/nvidia-container-runtime" } } },
          },
        },
      },
    });
  });

  it("in layout 3 (containerd 2.x): the split images and runtime plugins; the nvidia runtime takes runc's cgroup driver", () => {
    const settings = containerdSettings(3, true);
    expect([...new Set(settings.map((s) => s.table))]).toEqual([
      'plugins."io.containerd.cri.v1.images".registry',
      'plugins."io.containerd.cri.v1.runtime".containerd',
      'plugins."io.containerd.cri.v1.runtime".containerd.runtimes.nvidia',
      'plugins."io.containerd.cri.v1.runtime".containerd.runtimes.nvidia.options',
    ]);
    expect(settings.find((s) => s.key === "SystemdCgroup")).toEqual({
      table: 'plugins."io.containerd.cri.v1.runtime".containerd.runtimes.nvidia.options',
      key: "SystemdCgroup",
      inheritFrom: 'plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options',
    });
  });

  it("on a plain node: config_path only", () => {
    expect(containerdSettings(2, false).map((s) => s.key)).toEqual(["config_path"]);
  });

  it("hosts.toml speaks plain HTTP to a plain-HTTP registry only when told so explicitly", () => {
    expect(parseToml(renderHostsToml("http://192.0.2.21:6001", "http://192.0.2.21:6001"))).toEqual({
      server: "http://192.0.2.21:6001",
      host: { "http://192.0.2.21:6001": { capabilities: ["pull", "resolve"] } },
    });
  });
});

describe("files per node", () => {
  const paths = (input: NodeInput) => Object.keys(planNode(input).files).sort();

  it("docker: the drop-in with a proxy, and daemon.json", () => {
    expect(paths({ node: node("docker", true), proxy: PROXY, dns: [], registry: REGISTRY })).toEqual([
      "/etc/docker/daemon.json",
      "/etc/spark-gpu-stack/docker-proxy.env",
      "/etc/systemd/system/docker.service.d/http-proxy.conf",
    ]);
    expect(paths({ node: node("docker", false), dns: [], registry: REGISTRY })).toEqual(["/etc/docker/daemon.json"]);
  });

  it("containerd: the drop-in with a proxy, config.toml, and hosts.toml for the registry and (with a mirror) Docker Hub", () => {
    expect(
      paths({
        node: node("containerd", false),
        proxy: PROXY,
        dns: ["192.0.2.53"],
        registry: { ...REGISTRY, mirrorEndpoint: "192.0.2.21:6002" },
      }),
    ).toEqual([
      "/etc/containerd/certs.d/192.0.2.21:6001/hosts.toml",
      "/etc/containerd/certs.d/docker.io/hosts.toml",
      "/etc/containerd/config.toml",
      "/etc/spark-gpu-stack/containerd-proxy.env",
      "/etc/systemd/system/containerd.service.d/http-proxy.conf",
    ]);
    const { files } = planNode({
      node: node("containerd", false),
      dns: [],
      registry: { endpoint: "registry.example.com:5000", caCertificate: CA },
    });
    expect(parseToml(files["/etc/containerd/certs.d/registry.example.com:5000/hosts.toml"])).toEqual({
      server: "https://registry.example.com:5000",
      host: {
        "https://registry.example.com:5000": {
          capabilities: ["pull", "resolve"],
          ca: "/etc/containerd/certs.d/registry.example.com:5000/ca.crt",
        },
      },
    });
    expect(files["/etc/containerd/certs.d/registry.example.com:5000/ca.crt"]).toBe(CA);
  });

  it("trusts a TLS registry and its mirror through the CA alone: docker certs.d, containerd hosts.toml, no insecure entry", () => {
    const registry = { endpoint: "192.0.2.21:6001", mirrorEndpoint: "192.0.2.21:6002", caCertificate: CA };
    const docker = planNode({ node: node("docker", false), dns: [], registry });
    expect(docker.plan.files).toEqual([
      { path: "/etc/docker/certs.d/192.0.2.21:6001/ca.crt", content: CA, mode: "0644", effect: "none" },
      { path: "/etc/docker/certs.d/192.0.2.21:6002/ca.crt", content: CA, mode: "0644", effect: "none" },
    ]);
    expect(docker.plan.edit).toEqual({
      runtime: "docker",
      daemonJson: { "registry-mirrors": ["https://192.0.2.21:6002"], "live-restore": true },
    });
    const { files } = planNode({ node: node("containerd", false), dns: [], registry });
    expect(parseToml(files["/etc/containerd/certs.d/docker.io/hosts.toml"])).toEqual({
      server: "https://registry-1.docker.io",
      host: { "https://192.0.2.21:6002": { capabilities: ["pull", "resolve"], ca: "/etc/containerd/certs.d/docker.io/ca.crt" } },
    });
    expect(files["/etc/containerd/certs.d/docker.io/ca.crt"]).toBe(CA);
    expect(Object.values(files).join("\n")).not.toMatch(/http:\/\/|insecure/);
  });

  it("marks what each file needs: the EnvironmentFile (0600) a restart, the drop-in a daemon-reload and restart, hosts.toml nothing", () => {
    const { plan } = planNode({ node: node("containerd", true), proxy: PROXY, dns: [], registry: REGISTRY });
    expect(plan.files.map((f) => [f.path, f.mode, f.effect])).toEqual([
      ["/etc/spark-gpu-stack/containerd-proxy.env", "0600", "restart"],
      ["/etc/systemd/system/containerd.service.d/http-proxy.conf", "0644", "daemon-reload restart"],
      ["/etc/containerd/certs.d/192.0.2.21:6001/hosts.toml", "0644", "none"],
    ]);
  });
});
