import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readStackFile } from "../../tools/render";
import { renderedStack } from "../harness/rendered";
import { plain, type RecordedResource } from "../../tools/mock-runtime";
import { checkStackRender } from "./check-stack";

/** Every resource `resource` waits for, directly or through others. */
function waitsFor(resource: RecordedResource, all: readonly RecordedResource[]): RecordedResource[] {
  const byUrn = new Map(all.map((r) => [r.urn, r]));
  const seen = new Set<string>();
  const pending = [...resource.dependencies];
  while (pending.length > 0) {
    const urn = pending.pop()!;
    if (seen.has(urn)) continue;
    seen.add(urn);
    pending.push(...(byUrn.get(urn)?.dependencies ?? []));
  }
  return all.filter((r) => seen.has(r.urn));
}

describe("render of the prod stack", () => {
  it("leaves pods' DNS to the cluster's: the configured dns servers reach Docker's own containers only", async () => {
    const result = await renderedStack("prod");
    expect(readStackFile("prod").config.dns).toEqual(["192.0.2.53", "192.0.2.54"]);
    // Pod dnsConfig nameservers come after the cluster DNS, which answers first: CoreDNS forwards
    // outside names to the node's resolv.conf instead (README, `dns`).
    const declared = result.resources.filter((r) => r.type.startsWith("kubernetes:")).map((r) => JSON.stringify(plain(r.wire)));
    expect(declared.filter((text) => text.includes("dnsConfig"))).toEqual([]);
    const daemonJson = JSON.parse(
      readFileSync(join(result.outDir, "files", "nodes", "gpu-node-1", "etc", "docker", "daemon.json"), "utf8"),
    );
    expect(daemonJson.dns).toEqual(["192.0.2.53", "192.0.2.54"]);
  });

  it("declares only schema-valid objects and writes no secret", async () => {
    const { result, objects } = await checkStackRender("prod");
    expect(result.summary).toContain("secure values not decrypted");

    // Behind the proxy, nodes can pull any image only once they are configured: so their
    // configuration waits for nothing in the cluster, and everything that pulls waits for it.
    const nodeCommands = result.resources.filter((r) => r.type === "command:remote:Command");
    expect(nodeCommands.map((c) => c.name)).toEqual(["nodes-gpu-node-1", "nodes-gpu-node-2", "nodes-gpu-node-3"]);
    // Each SSH connection verifies the host it sends the script (proxy credentials inside) to.
    for (const command of nodeCommands) {
      expect((plain(command.wire) as any).connection.hostKey, command.name).toMatch(
        /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43}$/,
      );
    }
    // The registry's CA, which they ship, is made by Pulumi's tls provider, outside the cluster.
    for (const command of nodeCommands) {
      expect(
        waitsFor(command, result.resources)
          .filter((r) => r.type !== "command:remote:Command" && !r.type.startsWith("tls:"))
          .map((r) => `${r.type}::${r.name}`),
      ).toEqual([]);
    }
    // No node trusts the registry as insecure: each trusts its CA, for the pull process and the mirror.
    for (const node of ["gpu-node-1", "gpu-node-2", "gpu-node-3"]) {
      const files = join(result.outDir, "files", "nodes", node, "etc", "docker");
      expect(JSON.parse(readFileSync(join(files, "daemon.json"), "utf8"))).not.toHaveProperty("insecure-registries");
      for (const endpoint of ["192.0.2.21:6003", "192.0.2.21:6002"])
        expect(readFileSync(join(files, "certs.d", endpoint, "ca.crt"), "utf8")).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    }
    // (A CronJob is not awaited and its first pull is hours away: left out.)
    const pulling = result.resources.filter((r) =>
      /^kubernetes:(apps\/v1:(Deployment|StatefulSet|DaemonSet)|batch\/v1:Job|helm\.sh\/v3:Release)$/.test(r.type),
    );
    expect(pulling.length).toBeGreaterThan(5);
    // Pods pinned to the registry's node (gpu-node-1) wait for that node's applier only.
    const appliersAwaited = (resource: RecordedResource) =>
      waitsFor(resource, result.resources)
        .filter((r) => r.type === "command:remote:Command")
        .map((r) => r.name);
    const pinned = new Set(["registry", "registry-mirror"]);
    for (const workload of pulling) {
      expect(appliersAwaited(workload), `${workload.type}::${workload.name}`).toEqual(
        pinned.has(workload.name) ? ["nodes-gpu-node-1"] : nodeCommands.map((c) => c.name),
      );
    }
    // HDFS reaches the Spark application's conf through the program, as the NameNode Service's name.
    const job = objects.find((o) => o.kind === "Job" && o.metadata?.name?.startsWith("batch-inference-")) as any;
    const submitArgs: string[] = job.spec.template.spec.containers[0].args;
    expect(submitArgs).toContain("spark.hadoop.fs.defaultFS=hdfs://hdfs-namenode.hdfs.svc.cluster.local:8020");
    const nameNode = objects.find((o) => o.kind === "Service" && o.metadata?.namespace === "hdfs" && o.metadata?.name === "hdfs-namenode");
    expect(nameNode).toBeDefined();
    // The files HDFS containers read are shown as files too, as their ConfigMap holds them.
    const hdfsConfig = objects.find(
      (o) => o.kind === "ConfigMap" && o.metadata?.namespace === "hdfs" && o.metadata?.name === "hdfs-config",
    ) as any;
    for (const [shown, key] of [
      ["opt/hadoop/etc/hadoop/core-site.xml", "core-site.xml"],
      ["opt/hdfs-scripts/start-namenode.sh", "start-namenode.sh"],
    ]) {
      expect(readFileSync(join(result.outDir, "files", "hdfs", shown), "utf8")).toBe(hdfsConfig.data[key]);
    }

    // The image build and the Spark pods do wait for the registry to answer.
    const build = result.resources.find((r) => r.type === "docker:index/image:Image")!;
    expect(waitsFor(build, result.resources).map((r) => `${r.type}::${r.name}`)).toContain("kubernetes:apps/v1:Deployment::registry");
    expect(appliersAwaited(build)).toEqual(["nodes-gpu-node-1"]);
  });

  it("has README's deploy steps set every secret the stack file marks secure", () => {
    const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");
    const deploySteps = readme.slice(
      readme.indexOf("## Deploy for real"),
      readme.indexOf("```\n", readme.indexOf("```sh", readme.indexOf("## Deploy for real")) + 5),
    );
    const setInReadme = [...deploySteps.matchAll(/pulumi config set --secret (\w+)/g)].map((m) => m[1]).sort();
    expect(setInReadme).toEqual([...readStackFile("prod").secretKeys].sort());
  });
});
