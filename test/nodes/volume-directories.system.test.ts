// The apply script creates the local volumes' directories (components/storage) on the fake node,
// under every shell real nodes have: owned by the pod's user, parents root's, existing ones untouched.
import { chmodSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { planNode } from "../../components/nodes/render";
import { renderApplyScript } from "../../components/nodes/render-apply";
import { FakeNode, VARIANTS } from "./fake-node";

const script = renderApplyScript(
  planNode({
    node: { name: "gpu-1", address: "192.0.2.21", sshUser: "root", sshPort: 22, runtime: "docker", gpu: true },
    dns: [],
    registry: { endpoint: "192.0.2.21:6001" },
    volumeDirectories: [
      { path: "/data/volumes/registry-data", uid: 1000, gid: 1000 },
      { path: "/data/volumes/data-hdfs-datanode-0", uid: 1000, gid: 100 },
    ],
  }).plan,
);

describe.each(VARIANTS)("volume directories under $name", (variant) => {
  it("creates each missing directory for its pod's user, mode 0700, under root's parents, and leaves existing ones", async () => {
    const node = new FakeNode(variant);
    const first = await node.apply(script);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const registry = statSync(node.path("/data/volumes/registry-data"));
    expect([registry.uid, registry.gid, registry.mode & 0o7777]).toEqual([1000, 1000, 0o700]);
    const blocks = statSync(node.path("/data/volumes/data-hdfs-datanode-0"));
    expect([blocks.uid, blocks.gid, blocks.mode & 0o7777]).toEqual([1000, 100, 0o700]);
    const parent = statSync(node.path("/data/volumes"));
    expect([parent.uid, parent.mode & 0o777]).toEqual([0, 0o700]);
    expect(first.stdout).toContain("created /data/volumes/registry-data for uid 1000, gid 1000");

    // The kubelet's fsGroup handling changes the mode: a second run keeps what is there.
    chmodSync(node.path("/data/volumes/data-hdfs-datanode-0"), 0o2770);
    const second = await node.apply(script);
    expect(second.code).toBe(0);
    expect(second.stdout).not.toContain("created");
    expect(statSync(node.path("/data/volumes/data-hdfs-datanode-0")).mode & 0o7777).toBe(0o2770);
  });
});
