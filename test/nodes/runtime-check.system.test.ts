// The apply script compares the node's configured runtime with what its kubelet really uses, on the
// fake node under every shell real nodes have: a mismatch stops it before anything changes, naming
// the node and both runtimes; the kubelet's flag wins over its config file, as in the kubelet.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { planNode } from "../../components/nodes/render";
import { renderApplyScript } from "../../components/nodes/render-apply";
import type { NodeConfig } from "../../components/nodes/schema";
import { FakeNode, VARIANTS } from "./fake-node";

const scriptFor = (runtime: NodeConfig["runtime"]) =>
  renderApplyScript(
    planNode({
      node: { name: "gpu-1", address: "192.0.2.21", sshUser: "root", sshPort: 22, runtime, gpu: true },
      dns: [],
      registry: { endpoint: "192.0.2.21:6001" },
    }).plan,
  );

const CONTAINERD = "unix:///run/containerd/containerd.sock";
const CRI_DOCKERD = "unix:///var/run/cri-dockerd.sock";

/** kubeadm's KubeletConfiguration, as `kubeadm join` writes it from 1.27 on. */
const kubeletConfig = (endpoint?: string) =>
  [
    "apiVersion: kubelet.config.k8s.io/v1beta1",
    "kind: KubeletConfiguration",
    "cgroupDriver: systemd",
    ...(endpoint === undefined ? [] : [`containerRuntimeEndpoint: ${endpoint}`]),
    "",
  ].join("\n");

/** A running kubelet in the fake node's /proc: its name and its NUL-separated arguments. */
function runKubelet(node: FakeNode, args: string[]): void {
  const dir = node.path("/proc/4242");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "comm"), "kubelet\n");
  writeFileSync(join(dir, "cmdline"), `${["/usr/bin/kubelet", ...args].join("\0")}\0`);
}

/** The script stopped before it touched anything: no runtime file written, no unit restarted. */
function changedNothing(node: FakeNode, runtime: NodeConfig["runtime"]): void {
  expect(existsSync(node.path(runtime === "docker" ? "/etc/docker/daemon.json" : "/etc/containerd/config.toml"))).toBe(false);
  expect(existsSync(node.path(`/etc/systemd/system/${runtime}.service.d/http-proxy.conf`))).toBe(false);
  expect(node.restarts()).toEqual([]);
}

describe.each(VARIANTS)("kubelet runtime check under $name", (variant) => {
  it("stops a docker node whose kubelet uses containerd (kubeadm's config.yaml), naming the node and both runtimes", async () => {
    const node = new FakeNode(variant);
    node.write("/var/lib/kubelet/config.yaml", kubeletConfig(CONTAINERD));
    const result = await node.apply(scriptFor("docker"));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `spark-gpu-stack docker: node gpu-1 is configured with runtime docker (nodes.hosts[].runtime), but its kubelet uses containerd: ${CONTAINERD} (containerRuntimeEndpoint in /var/lib/kubelet/config.yaml). Set nodes.hosts[].runtime to the kubelet's runtime (a docker node's kubelet talks to Docker through cri-dockerd.sock); nothing was changed\n`,
    );
    changedNothing(node, "docker");
  });

  it("stops a containerd node whose kubelet goes through cri-dockerd (kubeadm's flags file)", async () => {
    const node = new FakeNode(variant);
    node.write("/var/lib/kubelet/config.yaml", kubeletConfig());
    node.write(
      "/var/lib/kubelet/kubeadm-flags.env",
      `KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=${CRI_DOCKERD} --pod-infra-container-image=registry.k8s.io/pause:3.10"\n`,
    );
    const result = await node.apply(scriptFor("containerd"));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `node gpu-1 is configured with runtime containerd (nodes.hosts[].runtime), but its kubelet uses docker: ${CRI_DOCKERD} (--container-runtime-endpoint in /var/lib/kubelet/kubeadm-flags.env)`,
    );
    changedNothing(node, "containerd");
  });

  it("takes the running kubelet's flag over its config file, and goes on when they agree", async () => {
    const node = new FakeNode(variant);
    node.write("/var/lib/kubelet/config.yaml", kubeletConfig(CONTAINERD));
    runKubelet(node, ["--config=/var/lib/kubelet/config.yaml", "--container-runtime-endpoint", CRI_DOCKERD]);
    const result = await node.apply(scriptFor("docker"));
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`the kubelet uses docker (${CRI_DOCKERD})`);
    expect(existsSync(node.path("/etc/docker/daemon.json"))).toBe(true);
  });

  it("reads the config file the running kubelet names, quoted values included", async () => {
    const node = new FakeNode(variant);
    node.write("/etc/kubernetes/kubelet.yaml", kubeletConfig(`"${CRI_DOCKERD}"`));
    runKubelet(node, ["--config", "/etc/kubernetes/kubelet.yaml"]);
    const result = await node.apply(scriptFor("containerd"));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`its kubelet uses docker: ${CRI_DOCKERD} (containerRuntimeEndpoint in /etc/kubernetes/kubelet.yaml)`);
    changedNothing(node, "containerd");
  });

  it("takes the kubelet's default, containerd, when nothing names an endpoint", async () => {
    const node = new FakeNode(variant);
    node.write("/var/lib/kubelet/config.yaml", kubeletConfig());
    const docker = await node.apply(scriptFor("docker"));
    expect(docker.code).toBe(1);
    expect(docker.stderr).toContain(
      `its kubelet uses containerd: ${CONTAINERD} (the kubelet's default, /var/lib/kubelet/config.yaml setting none)`,
    );
    const containerd = await node.apply(scriptFor("containerd"));
    expect(containerd.stderr).toBe("");
    expect(containerd.code).toBe(0);
  });

  it("refuses a runtime it does not configure, and says so when the node has no kubelet yet", async () => {
    const node = new FakeNode(variant);
    node.write("/var/lib/kubelet/config.yaml", kubeletConfig("unix:///var/run/crio/crio.sock"));
    const crio = await node.apply(scriptFor("containerd"));
    expect(crio.code).toBe(1);
    expect(crio.stderr).toContain("but its kubelet uses a runtime this stack does not configure: unix:///var/run/crio/crio.sock");

    const bare = new FakeNode(variant);
    const result = await bare.apply(scriptFor("containerd"));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("no kubelet found");
  });
});
