// The whole-plan rules over what the stacks really declare: dev and prod pass, offline and through the
// policy pack with the config the render writes; known-bad copies of the prod plan (no node labels, no
// storage, a taint nobody tolerates, no GPU nodes) fail with named violations; and the render refuses
// a stack whose plan would not come up, writing nothing.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PolicyResource, StackValidationArgs } from "@pulumi/policy";
import { beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { clusterFacts, type ClusterFacts } from "../../policy/facts";
import type { PlanResource } from "../../policy/plan";
import { POLICIES } from "../../policy/policies";
import { planViolations } from "../../policy/rules";
import { masked } from "../../tools/mock-runtime";
import { PlanError, readStackFile, render } from "../../tools/render";
import { tempDir } from "../harness/daemons";
import { renderedStack } from "../harness/rendered";

interface Rendered {
  readonly plan: PlanResource[];
  readonly facts: ClusterFacts;
  /** out/<stack>/policy-config.json as written. */
  readonly policyConfig: Record<string, object>;
}

async function rendered(stack: string): Promise<Rendered> {
  const result = await renderedStack(stack);
  return {
    plan: result.resources.filter((r) => r.custom).map((r) => ({ type: r.type, name: r.name, props: masked(r.wire) })),
    facts: clusterFacts(readStackFile(stack).config),
    policyConfig: JSON.parse(readFileSync(join(result.outDir, "policy-config.json"), "utf8")),
  };
}

/** Every message the policy pack reports, as the engine would call its validators. */
async function packReports(plan: readonly PlanResource[], config: Record<string, object>): Promise<string[]> {
  const resources = plan.map((r) => ({ ...r, urn: `urn:pulumi:test::spark-gpu-stack::${r.type}::${r.name}` }) as unknown as PolicyResource);
  const messages: string[] = [];
  for (const policy of POLICIES) {
    const args = { resources, getConfig: () => config[policy.name] ?? {} } as unknown as StackValidationArgs;
    await policy.validateStack(args, (message) => messages.push(`${policy.name}: ${message}`));
  }
  return messages;
}

describe.each(["dev", "prod"])("the %s render", (stack) => {
  it("passes every whole-plan rule, offline and through the policy pack with the config it writes", async () => {
    const { plan, facts, policyConfig } = await rendered(stack);
    expect(planViolations(plan, facts)).toEqual([]);
    expect(await packReports(plan, policyConfig)).toEqual([]);
  }, 120_000);
});

describe("known-bad copies of the prod plan", () => {
  let prod: Rendered;
  beforeAll(async () => {
    prod = await rendered("prod");
  }, 120_000);

  /** The prod plan with each resource's props edited (a copy), and resources for which `keep` is false left out. */
  const edited = (edit: (r: PlanResource, props: Record<string, any>) => void, keep: (r: PlanResource) => boolean = () => true) =>
    prod.plan.filter(keep).map((r) => {
      const props = structuredClone(r.props) as Record<string, any>;
      edit(r, props);
      return { ...r, props };
    });
  const isNodePatch = (r: PlanResource) => r.type === "kubernetes:core/v1:NodePatch";
  const violations = async (plan: PlanResource[], facts = prod.facts) => {
    const offline = planViolations(plan, facts);
    // The policy pack says the same, with the facts as its config.
    expect((await packReports(plan, prod.policyConfig)).sort()).toEqual(
      [...(facts === prod.facts ? offline : planViolations(plan, prod.facts))].sort(),
    );
    return offline;
  };

  it("holds one NodePatch per configured node", () => {
    expect(prod.plan.filter(isNodePatch).map((r) => (r.props.metadata as { name: string }).name)).toEqual([
      "gpu-node-1",
      "gpu-node-2",
      "gpu-node-3",
    ]);
  });

  it("fails without the node labels: the device plugin and the GPU executors have no node", async () => {
    const lines = await violations(
      edited(
        () => {},
        (r) => !isNodePatch(r),
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^node-placement: Release\/nvidia-device-plugin\/nvidia-device-plugin values\.affinity\.nodeAffinity\.requiredDuringSchedulingIgnoredDuringExecution\.nodeSelectorTerms .*nodes\.hosts/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^node-placement: ConfigMap\/spark\/batch-inference-submit-\w+ data\["executor-template\.yaml"\]\.spec\.nodeSelector\["nvidia\.com\/gpu\.present"\] .*nodes\.hosts\[\]\.gpu: true/,
      ),
    );
  });

  it("fails without a storage class or local volumes: every claim is named", async () => {
    const noStorage = edited(
      () => {},
      (r) => !/^kubernetes:(storage\.k8s\.io\/v1:StorageClass|core\/v1:PersistentVolume)$/.test(r.type),
    );
    const lines = (await violations(noStorage, { ...prod.facts, storageClasses: [] })).filter((l) => l.startsWith("claims-bind: "));
    expect(lines.map((l) => l.split(" ").slice(1, 3).join(" ")).sort()).toEqual(
      [
        "PersistentVolumeClaim/registry/registry-data spec.storageClassName",
        "PersistentVolumeClaim/registry/registry-mirror-data spec.storageClassName",
        "StatefulSet/hdfs/hdfs-datanode spec.volumeClaimTemplates[0].spec.storageClassName",
        "StatefulSet/hdfs/hdfs-datanode spec.volumeClaimTemplates[0].spec.storageClassName",
        "StatefulSet/hdfs/hdfs-datanode spec.volumeClaimTemplates[0].spec.storageClassName",
        "StatefulSet/hdfs/hdfs-namenode spec.volumeClaimTemplates[0].spec.storageClassName",
        "StatefulSet/hdfs/hdfs-secondary-namenode spec.volumeClaimTemplates[0].spec.storageClassName",
      ].sort(),
    );
    for (const line of lines) expect(line).toContain("storage.className");
  });

  it("fails with a taint nobody tolerates on the registry's node", async () => {
    const tainted = edited((r, props) => {
      if (isNodePatch(r) && props.metadata.name === "gpu-node-1") {
        props.spec = {
          ...props.spec,
          taints: [...(props.spec?.taints ?? []), { key: "example.com/dedicated", value: "batch", effect: "NoSchedule" }],
        };
      }
    });
    const lines = await violations(tainted);
    for (const registry of ["registry", "registry-mirror"]) {
      expect(lines).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^node-placement: Deployment/registry/${registry} spec\\.template\\.spec\\.tolerations .*example\\.com/dedicated=batch:NoSchedule.*nodes\\.hosts\\[0\\]\\.taints`,
          ),
        ),
      );
    }
  });

  it("fails for a GPU application without GPU nodes", async () => {
    const withoutGpus = edited((r, props) => {
      if (isNodePatch(r)) delete props.metadata.labels?.["nvidia.com/gpu.present"];
    });
    const lines = await violations(withoutGpus);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^gpu-placement: ConfigMap\/spark\/batch-inference-submit-\w+ data\["executor-template\.yaml"\]\.spec\.containers\[0\]\.resources\.limits\["nvidia\.com\/gpu"\] asks for nvidia\.com\/gpu, but no node is a GPU node/,
      ),
    );
  });
});

describe("npm run render", () => {
  it("refuses a stack whose plan would not come up, listing the violations and writing nothing", async () => {
    // dev with a GPU application: dev configures no node, so nothing is a GPU node.
    const dir = tempDir("plan-refused");
    const document = parseDocument(readFileSync(join(__dirname, "..", "..", "stacks", "Pulumi.dev.yaml"), "utf8"));
    document.setIn(["config", "spark-gpu-stack:gpu"], { enabled: true });
    document.setIn(["config", "spark-gpu-stack:spark", "applications", 0, "executor", "gpus"], 1);
    const stackFile = join(dir, "Pulumi.dev-gpu.yaml");
    writeFileSync(stackFile, document.toString());
    const out = join(dir, "out");

    const error = await render(stackFile, out).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlanError);
    const lines = (error as PlanError).message.split("\n");
    expect(lines[0]).toBe('stack "dev-gpu": the plan would not come up:');
    expect(lines).toContainEqual(
      expect.stringMatching(/^node-placement: Release\/nvidia-device-plugin\/nvidia-device-plugin values\.affinity\./),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^gpu-placement: ConfigMap\/spark\/pi-submit-\w+ data\["executor-template\.yaml"\]/),
    );
    expect(existsSync(out)).toBe(false);
  }, 120_000);
});

describe("a node's declared capacity", () => {
  it("becomes a fact, and render refuses prod when the pods pinned to the registry's node outgrow it", async () => {
    const dir = tempDir("plan-capacity");
    const document = parseDocument(readFileSync(join(__dirname, "..", "..", "stacks", "Pulumi.prod.yaml"), "utf8"));
    document.setIn(["config", "spark-gpu-stack:nodes", "hosts", 0, "capacity"], { cpu: "500m", memory: "64Gi", "nvidia.com/gpu": 1 });
    const stackFile = join(dir, "Pulumi.small.yaml");
    writeFileSync(stackFile, document.toString());
    expect(clusterFacts(readStackFile(stackFile).config).nodes?.[0]).toEqual({
      name: "gpu-node-1",
      index: 0,
      capacity: { cpu: "500m", memory: "64Gi", "nvidia.com/gpu": "1" },
    });
    const error = await render(stackFile, join(dir, "out")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlanError);
    expect((error as PlanError).message.split("\n")).toContainEqual(
      expect.stringMatching(/^node-capacity: Node\/gpu-node-1 capacity\["cpu"\] /),
    );
  }, 120_000);
});
