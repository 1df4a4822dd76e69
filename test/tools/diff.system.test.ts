// `npm run diff` as a reviewer runs it: the compiled CLI in a child process, between the prod stack
// rendered once as the base and a changed copy of its stack file, or between two commits of a
// repository built here. Each expected replacement must come from the provider's rule table.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Plan, Step } from "../../tools/diff-plan";
import { providerRules } from "../../tools/replacement-rules";
import { run, runOk, tempDir } from "../harness/daemons";

const ROOT = join(__dirname, "..", "..");
const DIFF = join(ROOT, "bin", "tools", "diff.js");
const PROD = readFileSync(join(ROOT, "stacks", "Pulumi.prod.yaml"), "utf8");
const EXIT_DATA_LOSS = 3;

/** The prod stack file with each [from, to] replaced, failing when `from` is not in it. */
function edited(...edits: [string | RegExp, string][]): string {
  return edits.reduce((text, [from, to]) => {
    expect(text.search(from), `${from} in the prod stack file`).toBeGreaterThanOrEqual(0);
    return text.replace(from, to);
  }, PROD);
}

let baseOut: string;

async function diff(stackFile: string, ...flags: string[]) {
  const dir = tempDir("diff-head");
  const path = join(dir, "Pulumi.prod.yaml");
  writeFileSync(path, stackFile);
  return run("node", [DIFF, path, "--base", baseOut, ...flags]);
}

async function diffJson(stackFile: string, ...flags: string[]) {
  const result = await diff(stackFile, "--json", ...flags);
  expect(result.stdout, result.stderr).toMatch(/^\{/);
  return { code: result.code, plan: JSON.parse(result.stdout) as Plan };
}

/** Every replace names its cause, and each cause is a row of the provider's table or the resource's own option. */
function expectReplacementsFromTable(plan: Plan): void {
  for (const step of plan.steps.filter((s) => s.operation === "replace")) {
    const causes = step.changes.flatMap((c) => c.replaces ?? []);
    expect(causes.length, step.urn).toBeGreaterThan(0);
    const rows = providerRules(step.type).replaces.flatMap((rule) => rule.paths.map((p) => `${p} (${rule.source})`));
    for (const cause of causes) expect(rows.includes(cause) || cause.startsWith("replaceOnChanges: "), `${step.urn}: ${cause}`).toBe(true);
  }
}

const named = (plan: Plan, type: string, name: string): Step | undefined => plan.steps.find((s) => s.type === type && s.name === name);

describe("npm run diff", () => {
  beforeAll(async () => {
    const dir = tempDir("diff-base");
    writeFileSync(join(dir, "Pulumi.prod.yaml"), PROD);
    baseOut = join(dir, "out");
    await runOk("node", [join(ROOT, "bin", "tools", "render.js"), join(dir, "Pulumi.prod.yaml"), "--out", baseOut]);
  });

  it("prints an empty diff and exits 0 when nothing changed", async () => {
    const result = await diff(PROD);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("No changes.");
    expect(result.stdout.trim().split("\n").at(-1)).toBe("+0 ~0 ±0 -0, 0 DATA LOSS");
  });

  it("shows an added application as creations only", async () => {
    const app = [
      "      - name: etl",
      "        mainFile: local:///opt/spark/app/etl.py",
      "        executor: { instances: 1, cores: 1, memory: 2Gi }",
      "",
      "  spark-gpu-stack:hdfs:",
    ].join("\n");
    const { code, plan } = await diffJson(edited(["\n  spark-gpu-stack:hdfs:", `\n${app}`]));
    expect(code).toBe(0);
    expect(plan.summary).toMatchObject({ delete: 0, replace: 0, dataLoss: 0 });
    expect(plan.steps.every((s) => s.operation === "create")).toBe(true);
    expect(named(plan, "kubernetes:batch/v1:Job", "spark-etl")?.operation).toBe("create");
    expect(plan.nodes).toEqual([]);
  });

  it("replaces the Job on a changed executor memory: its template is immutable", async () => {
    const { code, plan } = await diffJson(edited(["memory: 8Gi", "memory: 10Gi"]));
    expect(code).toBe(0);
    const job = named(plan, "kubernetes:batch/v1:Job", "spark-batch-inference");
    expect(job?.operation).toBe("replace");
    expect(job?.changes).toContainEqual(
      expect.objectContaining({
        old: expect.stringContaining("memory=8g"),
        new: expect.stringContaining("memory=10g"),
        replaces: expect.stringMatching(/^spec\.template /),
      }),
    );
    expect(plan.summary.dataLoss).toBe(0);
    expectReplacementsFromTable(plan);
  });

  it("flags a renamed registry namespace: the protected images stop `pulumi up`, the mirror's cache is data loss unless allowed", async () => {
    const stack = edited(["    port: 6001 #", "    namespace: images\n    port: 6001 #"]);
    const { code, plan } = await diffJson(stack);
    expect(code).toBe(EXIT_DATA_LOSS);
    const protectedNote = expect.arrayContaining([expect.stringContaining("protect: `pulumi up` refuses to delete it")]);
    expect(named(plan, "kubernetes:core/v1:Namespace", "registry-namespace")).toMatchObject({ operation: "replace", notes: protectedNote });
    expect(named(plan, "kubernetes:core/v1:PersistentVolumeClaim", "registry-data")).toMatchObject({ notes: protectedNote });
    expect(named(plan, "kubernetes:core/v1:PersistentVolumeClaim", "registry-data")?.dataLoss).toBeUndefined();
    expect(named(plan, "kubernetes:core/v1:PersistentVolumeClaim", "registry-mirror-data")?.dataLoss).toContain(
      "claim registry/registry-mirror-data",
    );
    expectReplacementsFromTable(plan);

    const allowed = await diff(stack, "--allow-data-loss");
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toMatch(/DATA LOSS: claim registry\/registry-mirror-data/);
    expect(allowed.stdout.trim().split("\n").at(-1)).toMatch(/^\+\d+ ~\d+ ±\d+ -\d+, [1-9]\d* DATA LOSS$/);
  });

  it("grows the DataNodes' claims in place on a changed HDFS storage size, leaving the StatefulSet alone", async () => {
    const { code, plan } = await diffJson(edited(["storageSize: 500Gi", "storageSize: 600Gi"]));
    expect(code).toBe(0);
    // The StatefulSet ignores its claim templates; each claim (and, in local mode, its volume) is patched.
    expect(named(plan, "kubernetes:apps/v1:StatefulSet", "hdfs-datanode")).toBeUndefined();
    const claims = plan.steps.filter((s) => s.type === "kubernetes:core/v1:PersistentVolumeClaimPatch");
    expect(claims.map((s) => [s.operation, s.name])).toEqual([0, 1, 2].map((i) => ["update", `hdfs-datanode-data-${i}`]));
    for (const claim of claims)
      expect(claim.changes).toEqual([expect.objectContaining({ path: "spec.resources.requests.storage", old: "500Gi", new: "600Gi" })]);
    expect(plan.summary.dataLoss).toBe(0);
    expectReplacementsFromTable(plan);
  });

  it("shows a rotated proxy password as changed, never a value", async () => {
    const rotated = edited([/(proxyPassword:\n {4}secure: )v1:[^\n]+/, "$1v1:rotated-ciphertext"]);
    const result = await diff(rotated);
    expect(result.code, result.stderr).toBe(0);
    for (const node of ["gpu-node-1", "gpu-node-2", "gpu-node-3"])
      expect(result.stdout).toContain(`${node}: proxy credentials changed; the runtime restarts`);
    expect(result.stdout).toContain("-proxy.env: proxy credentials changed  (then: restart)");
    expect(result.stdout).not.toContain("http-proxy.conf");
    expect(result.stdout).toContain("~ stringData.http-proxy: [secret] (changed)");
    expect(result.stdout).not.toMatch(/\[secret:|undecrypted|rotated-ciphertext/);
    expect(result.stdout, "piped: no colors").not.toContain("\u001b[");
    const { plan } = await diffJson(rotated);
    expect(JSON.stringify(plan)).not.toMatch(/\[secret:|undecrypted|rotated-ciphertext/);
    expectReplacementsFromTable(plan);
  });

  it("shows a dropped proxy as each node's proxy files removed, and the restart their removal brings", async () => {
    const direct = edited([
      / {2}spark-gpu-stack:proxy:\n(?: {4}.*\n)+ {2}spark-gpu-stack:proxyUsername:\n.*\n {2}spark-gpu-stack:proxyPassword:\n.*\n/,
      "",
    ]);
    const result = await diff(direct);
    expect(result.code, result.stderr).toBe(0);
    for (const node of ["gpu-node-1", "gpu-node-2", "gpu-node-3"]) expect(result.stdout).toContain(`${node}: the runtime restarts`);
    expect(result.stdout).toContain("- /etc/spark-gpu-stack/docker-proxy.env  (then: restart)");
    expect(result.stdout).toContain("- /etc/systemd/system/docker.service.d/http-proxy.conf  (then: daemon-reload restart)");
  });

  it("shows a new node as only that node's files, and its applier and labels as the nodes' new resources", async () => {
    const node = [
      "      - name: gpu-node-4",
      "        address: 192.0.2.24",
      "        runtime: containerd",
      "        gpu: true",
      "        hostKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKLOW9GDOpkkztV63neQKpSrRP7nk9/KVBHd/ZqYYCV5",
      "",
      "  spark-gpu-stack:storage:",
    ].join("\n");
    const { code, plan } = await diffJson(edited(["\n  spark-gpu-stack:storage:", `\n${node}`]));
    expect(code).toBe(0);
    expect(plan.nodes.map((n) => [n.node, n.status])).toEqual([["gpu-node-4", "added"]]);
    expect(plan.nodes[0].files.map((f) => f.path)).toContain("/etc/systemd/system/containerd.service.d/http-proxy.conf");
    // The new node's applier and its labels are the nodes' only new resources, and no other node
    // changes (a GPU node may also move what counts GPU nodes, such as the readiness check).
    const ofNodes = plan.steps.filter((s) => s.parents.includes("nodes"));
    expect(ofNodes.map((s) => [s.operation, s.name])).toEqual([
      ["create", "nodes-gpu-node-4"],
      ["create", "nodes-gpu-node-4-labels"],
    ]);
    expect(plan.summary.dataLoss).toBe(0);
  });

  it("diffs prod against HEAD~1 of a repository, as from a fresh clone", async () => {
    const repo = tempDir("diff-repo");
    const listed = execFileSync("git", ["-C", ROOT, "ls-files", "-co", "--exclude-standard", "-z"], { encoding: "utf8" });
    for (const file of listed.split("\0").filter((f) => f !== "" && existsSync(join(ROOT, f)))) {
      mkdirSync(dirname(join(repo, file)), { recursive: true });
      cpSync(join(ROOT, file), join(repo, file));
    }
    symlinkSync(join(ROOT, "node_modules"), join(repo, "node_modules"));
    cpSync(join(ROOT, "bin"), join(repo, "bin"), { recursive: true });
    const git = (...args: string[]) => runOk("git", ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args]);
    await git("init", "-q");
    await git("add", "-A");
    await git("commit", "-qm", "prod as it is");
    writeFileSync(join(repo, "stacks", "Pulumi.prod.yaml"), edited(["memory: 8Gi", "memory: 12Gi"]));
    await git("commit", "-qam", "more executor memory");

    const result = await run("node", [join(repo, "bin", "tools", "diff.js"), "prod", "--base", "HEAD~1", "--json"], { cwd: repo });
    expect(result.code, result.stderr).toBe(0);
    const plan = JSON.parse(result.stdout) as Plan;
    expect(plan.steps.map((s) => [s.operation, s.name])).toEqual([["replace", "spark-batch-inference"]]);
    expectReplacementsFromTable(plan);
  }, 600_000); // builds the base revision with tsc
});
