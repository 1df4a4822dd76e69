// The plan between two hand-written manifests: one hand-checked case per row of the replacement
// table (tools/replacement-rules.ts), the data-loss rules, secrets and node files.
import { describe, expect, it } from "vitest";
import type { Manifest, ManifestResource } from "../../tools/diff-manifest";
import { formatHuman, formatJson, summaryLine } from "../../tools/diff-format";
import { lineDiff, planDiff, type Step } from "../../tools/diff-plan";
import type { RecordedOptions } from "../../tools/mock-runtime";
import { pathMatches } from "../../tools/replacement-rules";

const NO_OPTIONS: RecordedOptions = {
  protect: false,
  retainOnDelete: false,
  deleteBeforeReplace: false,
  replaceOnChanges: [],
  ignoreChanges: [],
};
const urnOf = (type: string, name: string) => `urn:pulumi:test::spark-gpu-stack::${type}::${name}`;

function res(
  type: string,
  name: string,
  inputs: unknown,
  options: Partial<RecordedOptions> = {},
  aliases: string[] = [],
): ManifestResource {
  return { urn: urnOf(type, name), type, name, custom: true, inputs, options: { ...NO_OPTIONS, ...options }, aliases };
}

const manifest = (resources: ManifestResource[], files: Manifest["files"] = {}, secrets: Manifest["secrets"] = {}): Manifest => ({
  version: 2,
  stack: "test",
  secrets,
  resources,
  files,
});

/** The one step between a resource before and after. */
function stepOf(before: ManifestResource, after: ManifestResource, others: ManifestResource[] = []): Step {
  const plan = planDiff(manifest([before, ...others]), manifest([after, ...others]));
  expect(plan.steps).toHaveLength(1);
  return plan.steps[0];
}

const k8s = (apiVersion: string, kind: string, name: string, namespace: string | undefined, rest: Record<string, unknown>) => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
  ...rest,
});
const TYPE = {
  pvc: "kubernetes:core/v1:PersistentVolumeClaim",
  sts: "kubernetes:apps/v1:StatefulSet",
  deployment: "kubernetes:apps/v1:Deployment",
  daemonSet: "kubernetes:apps/v1:DaemonSet",
  job: "kubernetes:batch/v1:Job",
  secret: "kubernetes:core/v1:Secret",
  configMap: "kubernetes:core/v1:ConfigMap",
  service: "kubernetes:core/v1:Service",
  roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
  storageClass: "kubernetes:storage.k8s.io/v1:StorageClass",
  namespace: "kubernetes:core/v1:Namespace",
  command: "command:remote:Command",
  image: "docker:index/image:Image",
};

const claim = (storage: string, storageClassName = "local") =>
  k8s("v1", "PersistentVolumeClaim", "data", "registry", {
    spec: { accessModes: ["ReadWriteOnce"], storageClassName, resources: { requests: { storage } } },
  });
const statefulSet = (over: Record<string, unknown> = {}, name = "hdfs-namenode") =>
  k8s("apps/v1", "StatefulSet", name, "hdfs", {
    spec: {
      serviceName: "hdfs-namenode",
      replicas: 1,
      selector: { matchLabels: { app: "namenode" } },
      template: { spec: { containers: [{ name: "nn", image: "hadoop:3" }] } },
      volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { resources: { requests: { storage: "20Gi" } } } }],
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      ...over,
    },
  });

describe("replacement table, one hand-checked case per row", () => {
  it("every Kubernetes kind: a new metadata.name replaces, the new object first (names differ)", () => {
    const s = stepOf(
      res(TYPE.configMap, "c", k8s("v1", "ConfigMap", "a", "ns", {})),
      res(TYPE.configMap, "c", k8s("v1", "ConfigMap", "b", "ns", {})),
    );
    expect(s.operation).toBe("replace");
    expect(s.deleteBeforeReplace).toBe(false);
    expect(s.changes[0]).toMatchObject({ path: "metadata.name", old: "a", new: "b" });
    expect(s.changes[0].replaces).toContain("diff.go");
  });

  it("every Kubernetes kind: a new metadata.namespace replaces", () => {
    const s = stepOf(
      res(TYPE.service, "s", k8s("v1", "Service", "s", "a", { spec: {} })),
      res(TYPE.service, "s", k8s("v1", "Service", "s", "b", { spec: {} })),
    );
    expect(s.operation).toBe("replace");
    expect(s.deleteBeforeReplace).toBe(false);
  });

  it("PersistentVolumeClaim: resources.requests grows in place, storageClassName replaces, old one first", () => {
    expect(stepOf(res(TYPE.pvc, "d", claim("10Gi")), res(TYPE.pvc, "d", claim("20Gi")))).toMatchObject({
      operation: "update",
      changes: [{ path: "spec.resources.requests.storage", old: "10Gi", new: "20Gi" }],
    });
    const s = stepOf(res(TYPE.pvc, "d", claim("10Gi")), res(TYPE.pvc, "d", claim("10Gi", "fast")));
    expect(s).toMatchObject({ operation: "replace", deleteBeforeReplace: true });
    expect(s.changes[0].replaces).toMatch(/^spec\.storageClassName /);
  });

  it("StatefulSet: volumeClaimTemplates, serviceName and selector replace; replicas is an update", () => {
    const before = res(TYPE.sts, "nn", statefulSet());
    const claims = { volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { resources: { requests: { storage: "30Gi" } } } }] };
    for (const over of [claims, { serviceName: "other" }, { selector: { matchLabels: { app: "x" } } }]) {
      expect(stepOf(before, res(TYPE.sts, "nn", statefulSet(over))).operation, JSON.stringify(over)).toBe("replace");
    }
    expect(stepOf(before, res(TYPE.sts, "nn", statefulSet({ replicas: 2 }))).operation).toBe("update");
  });

  it("Deployment and DaemonSet: the selector replaces, the pod template updates", () => {
    for (const [type, kind] of [
      [TYPE.deployment, "Deployment"],
      [TYPE.daemonSet, "DaemonSet"],
    ]) {
      const object = (label: string, image: string) =>
        k8s("apps/v1", kind, "x", "ns", { spec: { selector: { matchLabels: { app: label } }, template: { spec: { image } } } });
      expect(stepOf(res(type, "x", object("a", "i:1")), res(type, "x", object("b", "i:1"))).operation).toBe("replace");
      expect(stepOf(res(type, "x", object("a", "i:1")), res(type, "x", object("a", "i:2"))).operation).toBe("update");
    }
  });

  it("Job: a changed pod template replaces it, the old one first when the name stays", () => {
    const job = (memory: string) =>
      k8s("batch/v1", "Job", "run", "spark", { spec: { template: { spec: { containers: [{ args: [memory] }] } } } });
    const s = stepOf(res(TYPE.job, "j", job("8g")), res(TYPE.job, "j", job("10g")));
    expect(s).toMatchObject({ operation: "replace", deleteBeforeReplace: true });
    expect(s.changes).toMatchObject([{ path: "spec.template.spec.containers[0].args[0]", old: "8g", new: "10g" }]);
    expect(s.changes[0].replaces).toMatch(/^spec\.template /);
  });

  it("Secret: its type and data replace it; a changed secret shows no value", () => {
    const secret = (type: string, value: string) => k8s("v1", "Secret", "s", "ns", { type, stringData: { password: value } });
    expect(
      stepOf(res(TYPE.secret, "s", secret("Opaque", "[secret:aa]")), res(TYPE.secret, "s", secret("kubernetes.io/tls", "[secret:aa]")))
        .operation,
    ).toBe("replace");
    const s = stepOf(res(TYPE.secret, "s", secret("Opaque", "[secret:aa]")), res(TYPE.secret, "s", secret("Opaque", "[secret:bb]")));
    expect(s.operation).toBe("replace");
    expect(s.changes).toEqual([expect.objectContaining({ path: "stringData.password", secret: true })]);
    expect(s.changes[0]).not.toHaveProperty("old");
    expect(s.changes[0]).not.toHaveProperty("new");
  });

  it("ConfigMap: its data replaces it", () => {
    const cm = (v: string) => k8s("v1", "ConfigMap", "c", "ns", { data: { k: v } });
    expect(stepOf(res(TYPE.configMap, "c", cm("1")), res(TYPE.configMap, "c", cm("2"))).operation).toBe("replace");
  });

  it("Service: the clusterIP replaces, ports update", () => {
    const svc = (spec: Record<string, unknown>) => k8s("v1", "Service", "s", "ns", { spec });
    expect(
      stepOf(res(TYPE.service, "s", svc({ clusterIP: "None" })), res(TYPE.service, "s", svc({ clusterIP: "10.96.0.9" }))).operation,
    ).toBe("replace");
    expect(
      stepOf(res(TYPE.service, "s", svc({ ports: [{ port: 1 }] })), res(TYPE.service, "s", svc({ ports: [{ port: 2 }] }))).operation,
    ).toBe("update");
  });

  it("RoleBinding: roleRef replaces, subjects update", () => {
    const rb = (role: string, subject: string) =>
      k8s("rbac.authorization.k8s.io/v1", "RoleBinding", "rb", "ns", {
        roleRef: { kind: "Role", name: role },
        subjects: [{ name: subject }],
      });
    expect(stepOf(res(TYPE.roleBinding, "rb", rb("a", "x")), res(TYPE.roleBinding, "rb", rb("b", "x"))).operation).toBe("replace");
    expect(stepOf(res(TYPE.roleBinding, "rb", rb("a", "x")), res(TYPE.roleBinding, "rb", rb("a", "y"))).operation).toBe("update");
  });

  it("StorageClass: parameters replace it", () => {
    const sc = (type: string) => k8s("storage.k8s.io/v1", "StorageClass", "sc", undefined, { provisioner: "p", parameters: { type } });
    expect(stepOf(res(TYPE.storageClass, "sc", sc("a")), res(TYPE.storageClass, "sc", sc("b"))).operation).toBe("replace");
  });

  it("remote Command: triggers replace it; a new stdin runs create again; a delete runs nothing without a delete command", () => {
    const cmd = (trigger: string, stdin: string) => ({ create: "sh -s", stdin, triggers: [trigger] });
    const options = { replaceOnChanges: ["triggers[*]"] };
    const replaced = stepOf(
      res(TYPE.command, "n", cmd("h1", "[secret:aa]"), options),
      res(TYPE.command, "n", cmd("h2", "[secret:aa]"), options),
    );
    expect(replaced.operation).toBe("replace");
    expect(replaced.changes[0].replaces).toContain("@pulumi/command");
    const updated = stepOf(
      res(TYPE.command, "n", cmd("h1", "[secret:aa]"), options),
      res(TYPE.command, "n", cmd("h1", "[secret:bb]"), options),
    );
    expect(updated).toMatchObject({ operation: "update", notes: ["runs its `create` command again with the new inputs"] });
    const deleted = planDiff(manifest([res(TYPE.command, "n", cmd("h1", "x"))]), manifest([])).steps[0];
    expect(deleted).toMatchObject({ operation: "delete", notes: ["runs nothing on the host (no delete command)"] });
  });

  it("docker Image: a new registry password is no change, new build args rebuild in place, a delete keeps the pushed image", () => {
    const image = (password: string, arg: string) => ({
      imageName: "r/i:1",
      build: { args: { A: arg } },
      registry: { server: "r", password },
    });
    expect(
      planDiff(manifest([res(TYPE.image, "i", image("[secret:aa]", "1"))]), manifest([res(TYPE.image, "i", image("[secret:bb]", "1"))]))
        .steps,
    ).toEqual([]);
    expect(stepOf(res(TYPE.image, "i", image("[secret:aa]", "1")), res(TYPE.image, "i", image("[secret:aa]", "2")))).toMatchObject({
      operation: "update",
      notes: ["builds and pushes the image again"],
    });
    expect(planDiff(manifest([res(TYPE.image, "i", image("p", "1"))]), manifest([])).steps[0].notes[0]).toContain("stays in the registry");
  });

  it("the stack's own options: replaceOnChanges replaces, deleteBeforeReplace deletes first, ignoreChanges hides", () => {
    const labelled = (v: string, name = "c") => ({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: "ns", labels: { v } } });
    expect(
      stepOf(
        res(TYPE.service, "s", labelled("1"), { replaceOnChanges: ["metadata.labels"] }),
        res(TYPE.service, "s", labelled("2"), { replaceOnChanges: ["metadata.labels"] }),
      ).changes[0].replaces,
    ).toBe("replaceOnChanges: metadata.labels");
    expect(
      stepOf(
        res(TYPE.job, "j", labelled("1", "a"), { deleteBeforeReplace: true }),
        res(TYPE.job, "j", labelled("1", "b"), { deleteBeforeReplace: true }),
      ),
    ).toMatchObject({ operation: "replace", deleteBeforeReplace: true });
    expect(
      planDiff(
        manifest([res(TYPE.service, "s", labelled("1"), { ignoreChanges: ["metadata.labels"] })]),
        manifest([res(TYPE.service, "s", labelled("2"), { ignoreChanges: ["metadata.labels"] })]),
      ).steps,
    ).toEqual([]);
  });

  it("matches paths as the providers do: at, inside or above a rule's path, [*] for any element", () => {
    expect(pathMatches(["spec", "template", "spec"], "spec.template")).toBe(true);
    expect(pathMatches(["spec"], "spec.template")).toBe(true);
    expect(pathMatches(["spec", "replicas"], "spec.template")).toBe(false);
    expect(pathMatches(["triggers", 0], "triggers[*]")).toBe(true);
  });
});

describe("data loss", () => {
  const ns = (name: string, options: Partial<RecordedOptions> = {}) =>
    res(TYPE.namespace, `${name}-namespace`, k8s("v1", "Namespace", name, undefined, {}), options);
  const pvc = res(TYPE.pvc, "registry-data", claim("10Gi"));

  it("flags a deleted claim and the namespace that holds it, not an empty namespace", () => {
    const plan = planDiff(manifest([ns("registry"), pvc, ns("empty")]), manifest([]));
    expect(plan.summary).toMatchObject({ delete: 3, dataLoss: 2 });
    expect(plan.steps.find((s) => s.name === "registry-data")?.dataLoss).toContain("claim registry/data");
    expect(plan.steps.find((s) => s.name === "registry-namespace")?.dataLoss).toContain("PersistentVolumeClaim data");
    expect(plan.steps.find((s) => s.name === "empty-namespace")?.dataLoss).toBeUndefined();
  });

  it("flags a replaced StatefulSet with claims, saying what its retention policy keeps", () => {
    const s = stepOf(
      res(TYPE.sts, "nn", statefulSet()),
      res(
        TYPE.sts,
        "nn",
        statefulSet({ volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { resources: { requests: { storage: "30Gi" } } } }] }),
      ),
    );
    expect(s.dataLoss).toContain("with claims data");
    expect(s.dataLoss).toContain("whenDeleted: Retain");
  });

  it("says what happens instead under retainOnDelete and protect", () => {
    const retained = planDiff(
      manifest([ns("hdfs", { retainOnDelete: true }), { ...pvc, inputs: { ...claim("1Gi"), metadata: { name: "d", namespace: "hdfs" } } }]),
      manifest([]),
    );
    const nsStep = retained.steps.find((s) => s.type === TYPE.namespace);
    expect(nsStep?.dataLoss).toBeUndefined();
    expect(nsStep?.notes[0]).toContain("retainOnDelete: Pulumi drops it from the stack and leaves it in the cluster, data included");
    const kept = planDiff(manifest([{ ...pvc, options: { ...NO_OPTIONS, protect: true } }]), manifest([]));
    expect(kept.summary.dataLoss).toBe(0);
    expect(kept.steps[0].notes[0]).toContain("protect: `pulumi up` refuses to delete it");
  });

  it("follows a rename by alias: no delete, no create", () => {
    const renamed = res(TYPE.namespace, "registry-namespace", k8s("v1", "Namespace", "registry", undefined, {}), {}, [
      urnOf(TYPE.namespace, "registry"),
    ]);
    const old = res(TYPE.namespace, "registry", k8s("v1", "Namespace", "registry", undefined, {}));
    expect(planDiff(manifest([old]), manifest([renamed])).steps).toEqual([]);
  });
});

describe("nodes", () => {
  const NODES = "spark-gpu-stack:nodes:NodeRuntimeConfig";
  const component: ManifestResource = { ...res(NODES, "nodes", {}), custom: false };
  const environmentFile = "/etc/spark-gpu-stack/docker-proxy.env";
  const script = `UNIT=docker\n\tinstall_staged /etc/docker/daemon.json "reload restart"\n\tstage_owned '${environmentFile}' 0600 'restart' <<'EOF'\nEOF\n\tstage_owned '/etc/systemd/system/docker.service.d/http-proxy.conf' 0644 'daemon-reload restart' <<'EOF'\nEOF\n\tstage_owned '/etc/containerd/certs.d/r/hosts.toml' 0644 '' <<'EOF'\nEOF\n`;
  const proxyUrl = "http://%5Bsecret%5D:%5Bsecret%5D@proxy";
  const files = (dns: string, hosts = "server = 'http://r'") => ({
    "n1/apply.sh": `PROXY_ENVIRONMENT='HTTP_PROXY=${proxyUrl}'\n${script}`,
    [`n1${environmentFile}`]: `HTTP_PROXY="${proxyUrl}"\n`,
    "n1/etc/systemd/system/docker.service.d/http-proxy.conf": `[Service]\nEnvironmentFile=${environmentFile}\n`,
    "n1/etc/docker/daemon.json": `{"dns": ["${dns}"]}\n`,
    "n1/etc/containerd/certs.d/r/hosts.toml": `${hosts}\n`,
  });
  const plan = (
    before: Record<string, string>,
    after: Record<string, string>,
    secrets: [Manifest["secrets"], Manifest["secrets"]] = [{}, {}],
  ) =>
    planDiff(manifest([component], { [component.urn]: before }, secrets[0]), manifest([component], { [component.urn]: after }, secrets[1]));

  it("shows rotated proxy credentials as such, on the files holding them, never the values, and the restart they bring", () => {
    const rotated = plan(files("192.0.2.53"), files("192.0.2.53"), [
      { proxyUsername: "[secret:01]", proxyPassword: "[secret:aa]" },
      { proxyUsername: "[secret:01]", proxyPassword: "[secret:bb]" },
    ]);
    const [node] = rotated.nodes;
    expect(node).toMatchObject({ node: "n1", status: "changed", credentialsChanged: true, restart: true });
    expect(node.files.map((f) => [f.path, f.lines, f.effect])).toEqual([
      [environmentFile, [], "restart"],
      ["apply.sh", [], undefined],
    ]);
    expect(formatHuman(rotated, "h", false)).toContain("docker-proxy.env: proxy credentials changed  (then: restart)");
    const otherSecret = plan(files("1"), files("1"), [{ registryPassword: "[secret:aa]" }, { registryPassword: "[secret:bb]" }]);
    expect(otherSecret.nodes).toEqual([]);
  });

  it("diffs a daemon.json setting line by line; a hosts.toml change alone restarts nothing", () => {
    const [dns] = plan(files("192.0.2.53"), files("192.0.2.54")).nodes;
    expect(dns.files.find((f) => f.path === "/etc/docker/daemon.json")).toMatchObject({
      lines: ['- {"dns": ["192.0.2.53"]}', '+ {"dns": ["192.0.2.54"]}'],
      effect: "reload restart",
    });
    const [hosts] = plan(files("1"), files("1", "server = 'https://r'")).nodes;
    expect(hosts).toMatchObject({ restart: false, credentialsChanged: false });
  });

  it("shows a file no longer rendered as removed, with the restart its removal brings", () => {
    const before = files("1");
    const withoutProxy = Object.fromEntries(
      Object.entries(before)
        .filter(([path]) => !path.endsWith("http-proxy.conf"))
        .map(([path, content]) => [
          path,
          path.endsWith("apply.sh") ? content.replace(/^\tstage_owned '[^']*http-proxy.conf'.*\nEOF\n/m, "") : content,
        ]),
    );
    expect(withoutProxy["n1/apply.sh"]).not.toContain("http-proxy.conf' 0644");
    const [node] = plan(before, withoutProxy).nodes;
    expect(node).toMatchObject({ status: "changed", restart: true });
    expect(node.files.find((f) => f.path.endsWith("http-proxy.conf"))).toMatchObject({
      status: "removed",
      effect: "daemon-reload restart",
    });
    expect(formatHuman(plan(before, withoutProxy), "h", false)).toContain(
      "- /etc/systemd/system/docker.service.d/http-proxy.conf  (then: daemon-reload restart)",
    );
  });

  it("lists a new node's files and no other node's", () => {
    const before = files("1");
    const after = { ...before, ...Object.fromEntries(Object.entries(before).map(([k, v]) => [k.replace(/^n1/, "n2"), v])) };
    const nodes = plan(before, after).nodes;
    expect(nodes.map((n) => [n.node, n.status, n.restart])).toEqual([["n2", "added", true]]);
    expect(nodes[0].files.find((f) => f.path === "/etc/docker/daemon.json")?.lines).toEqual(['+ {"dns": ["1"]}']);
  });

  it("lineDiff keeps common lines out", () => {
    expect(lineDiff("a\nb\nc", "a\nx\nc")).toEqual(["- b", "+ x"]);
  });
});

describe("output", () => {
  const before = manifest([
    res(TYPE.secret, "s", k8s("v1", "Secret", "s", "ns", { stringData: { p: "[secret:aaaa]" } })),
    res(TYPE.pvc, "d", claim("1Gi")),
  ]);
  const after = manifest([res(TYPE.secret, "s", k8s("v1", "Secret", "s", "ns", { stringData: { p: "[secret:bbbb]" } }))]);

  it("prints the summary line, DATA LOSS and [secret] without colors when asked plain", () => {
    const plan = planDiff(before, after);
    expect(summaryLine(plan)).toBe("+0 ~0 ±1 -1, 1 DATA LOSS");
    const text = formatHuman(plan, "heading", false);
    expect(text).toContain("~ stringData.p: [secret] (changed)");
    expect(text).toContain("DATA LOSS: claim registry/data");
    expect(text).not.toContain("[secret:");
    expect(text).not.toContain("\u001b[");
    expect(formatHuman(plan, "heading", true)).toContain("\u001b[");
    expect(formatJson(plan, "a", "b")).not.toContain("[secret:");
  });
});
