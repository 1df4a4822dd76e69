// HDFS storage changes under the recording mock runtime: the StatefulSets ignore their claim
// templates (a change there would replace them, every DataNode down at once) and each claim is
// patched to the configured volume instead.
import { describe, expect, it } from "vitest";
import { validateKubernetesObject } from "../harness/kubernetes-schema";
import { plain, startMockRuntime, type MockRuntime } from "../../tools/mock-runtime";

const STATEFUL_SET = "kubernetes:apps/v1:StatefulSet";
const CLAIM_PATCH = "kubernetes:core/v1:PersistentVolumeClaimPatch";

async function render(hdfs: Record<string, unknown>): Promise<MockRuntime> {
  const rt = startMockRuntime();
  const { parseStackConfig } = await import("../../components/config.js");
  const { HdfsCluster } = await import("../../components/hdfs/index.js");
  const parsed = parseStackConfig({ hdfs: { enabled: true, ...hdfs } }, new Set());
  if ("problems" in parsed) throw new Error(parsed.problems.join("\n"));
  new HdfsCluster("hdfs", { config: parsed.config.hdfs, cluster: parsed.config.cluster });
  await rt.settle();
  return rt;
}

const PROD = { dataNodes: 3, nameNode: { storageSize: "20Gi" }, dataNode: { storageSize: "500Gi", storageClass: "local-hdd" } };

/** Claim name → [storage class, size] of every claim patch. */
function patchedClaims(rt: MockRuntime): Record<string, [string | undefined, string]> {
  return Object.fromEntries(
    rt.ofType(CLAIM_PATCH).map((r) => {
      const object = plain(r.wire);
      return [object.metadata.name, [object.spec.storageClassName, object.spec.resources.requests.storage]];
    }),
  );
}

describe("HDFS storage changes", () => {
  it("keeps the StatefulSets across claim-template changes and patches every claim they make, after them, kept on delete", async () => {
    const rt = await render(PROD);
    const statefulSets = rt.ofType(STATEFUL_SET);
    expect(statefulSets).toHaveLength(3);
    for (const set of statefulSets) expect(set.options.ignoreChanges).toEqual(["spec.volumeClaimTemplates"]);

    // The names the StatefulSet controller gives its claims: <template>-<StatefulSet>-<ordinal>.
    const madeByController = statefulSets.flatMap((set) => {
      const { metadata, spec } = plain(set.wire);
      return Array.from({ length: spec.replicas }, (_, i) => `${spec.volumeClaimTemplates[0].metadata.name}-${metadata.name}-${i}`);
    });
    expect(Object.keys(patchedClaims(rt)).sort()).toEqual(madeByController.sort());
    expect(patchedClaims(rt)).toEqual({
      "data-hdfs-namenode-0": [undefined, "20Gi"],
      "data-hdfs-secondary-namenode-0": [undefined, "20Gi"],
      "data-hdfs-datanode-0": ["local-hdd", "500Gi"],
      "data-hdfs-datanode-1": ["local-hdd", "500Gi"],
      "data-hdfs-datanode-2": ["local-hdd", "500Gi"],
    });

    const urnOf = new Map(statefulSets.map((s) => [plain(s.wire).metadata.name, s.urn]));
    for (const patch of rt.ofType(CLAIM_PATCH)) {
      const object = plain(patch.wire);
      validateKubernetesObject(object);
      expect(object.metadata.namespace).toBe("hdfs");
      expect(object.metadata.annotations["pulumi.com/patchForce"]).toBe("true");
      const owner = /^data-(.+)-\d+$/.exec(object.metadata.name)?.[1] ?? "";
      expect(patch.dependencies).toContain(urnOf.get(owner));
      expect(patch.options).toMatchObject({ retainOnDelete: true, protect: false });
    }
  });

  it("resizes the claims for a bigger volume, and follows the DataNode count", async () => {
    const rt = await render({ ...PROD, dataNodes: 4, dataNode: { ...PROD.dataNode, storageSize: "1Ti" } });
    const dataNodeClaims = Object.entries(patchedClaims(rt)).filter(([name]) => name.startsWith("data-hdfs-datanode-"));
    expect(dataNodeClaims).toEqual([0, 1, 2, 3].map((i) => [`data-hdfs-datanode-${i}`, ["local-hdd", "1Ti"]]));
  });
});
