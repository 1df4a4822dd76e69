// The submitter's wrapper and its status lookup (components/workload/scripts/, linted there by
// npm run lint:scripts), run for real: the wrapper under /bin/sh with stand-ins for spark-submit,
// driver-phase and sleep on PATH; then driver-phase (Python) against a local HTTPS server playing
// the API server.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DRIVER_PHASE_SCRIPT, OWNER_PLACEHOLDERS, SUBMIT_SCRIPT } from "../../components/workload/render-submit";
import { DRIVER_POD_NAME_ENV, PENDING_TIMEOUT_ENV, SUBMIT_FILES, SUBMIT_PATHS } from "../../components/workload/render-spark";
import { run, tempDir, type Daemon } from "../harness/daemons";
import { fakeServiceAccount, SERVICE_ACCOUNT_PATH, startApiStandIn } from "../harness/service-account";

function executable(path: string, content: string): void {
  writeFileSync(path, content);
  chmodSync(path, 0o755);
}

/**
 * A scene: the wrapper beside its driver template, stand-ins that replay a scripted run. `pending`
 * scripts the answers to `driver-phase --stop-if-pending` (exit codes; 0 when the script runs out).
 */
function scene(options: { submitExit: number; phases: string[]; pending?: number[] }) {
  const root = tempDir("submit-wrapper");
  const paths = { configDir: join(root, "config"), workDir: join(root, "work") };
  const stubs = join(root, "stubs");
  const state = join(root, "state");
  for (const dir of [paths.configDir, stubs, state]) mkdirSync(dir);
  // The wrapper as deployed, with the pod's mount points moved to temporary directories.
  const wrapper = SUBMIT_SCRIPT.replaceAll(SUBMIT_PATHS.configDir, paths.configDir).replaceAll(SUBMIT_PATHS.workDir, paths.workDir);
  executable(join(paths.configDir, SUBMIT_FILES.wrapper), wrapper);
  writeFileSync(
    join(paths.configDir, SUBMIT_FILES.driverTemplate),
    `metadata:\n  ownerReferences:\n  - name: ${OWNER_PLACEHOLDERS.name}\n    uid: ${OWNER_PLACEHOLDERS.uid}\n`,
  );
  writeFileSync(join(state, "phases"), options.phases.map((p) => `${p}\n`).join(""));
  writeFileSync(join(state, "pending"), (options.pending ?? []).map((p) => `${p}\n`).join(""));
  // spark-submit: records its arguments (one per line) and the driver template it was given.
  executable(
    join(stubs, "spark-submit"),
    `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done >"${state}/args"\ncp "${paths.workDir}/${SUBMIT_FILES.driverTemplate}" "${state}/driver-template.yaml"\nexit ${options.submitExit}\n`,
  );
  // driver-phase: answers with the next scripted phase (ERROR: the API could not be asked), or with
  // --stop-if-pending, records its arguments and exits with the next scripted code.
  executable(
    join(stubs, SUBMIT_FILES.driverPhase),
    `#!/bin/sh
if [ "$1" = --stop-if-pending ]; then
  echo "$2 $3" >>"${state}/pending-checks"
  code=$(head -n 1 "${state}/pending"); sed -i 1d "${state}/pending"
  [ "\${code:-0}" = 3 ] && echo "pod $3 Pending for 900s (limit $2s): not scheduled: Unschedulable: 0/3 nodes are available"
  exit "\${code:-0}"
fi
echo "$1" >>"${state}/asked"
phase=$(head -n 1 "${state}/phases")
sed -i 1d "${state}/phases"
[ "$phase" = ERROR ] && { echo "driver-phase: API down" >&2; exit 1; }
echo "$phase"
`,
  );
  executable(join(stubs, "sleep"), `#!/bin/sh\necho "$1" >>"${state}/slept"\n`);
  const env = {
    PATH: `${stubs}:${process.env.PATH}`,
    POD_NAME: "pi-8f2c1a-x7k2p",
    POD_UID: "0f6a7c3e-1b2d-4e5f-8a9b-0c1d2e3f4a5b",
    [DRIVER_POD_NAME_ENV]: "pi-8f2c1a-x7k2p-driver",
    [PENDING_TIMEOUT_ENV]: "600",
  };
  const read = (file: string) => (existsSync(join(state, file)) ? readFileSync(join(state, file), "utf8") : "");
  return {
    run: (args: string[], extraEnv: Record<string, string> = {}) =>
      run("/bin/sh", [join(paths.configDir, SUBMIT_FILES.wrapper), ...args], { env: { ...env, ...extraEnv } }),
    lines: (file: string) =>
      read(file)
        .split("\n")
        .filter((l) => l !== ""),
    read,
  };
}

describe("submit wrapper", () => {
  it("exits 0 when spark-submit and the driver succeeded, passing spark-submit's arguments verbatim", async () => {
    const s = scene({ submitExit: 0, phases: ["Succeeded"] });
    const args = [
      "--conf",
      "spark.kubernetes.driver.pod.name=$(DRIVER_POD_NAME)",
      "--name",
      "two words",
      "local:///opt/spark/app/batch_inference.py",
      "--rows",
      "10",
    ];
    const result = await s.run(args);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("driver pod pi-8f2c1a-x7k2p-driver succeeded");
    expect(s.lines("args")).toEqual(args);
    expect(s.lines("asked")).toEqual(["pi-8f2c1a-x7k2p-driver"]);
  });

  it("fills the submitter pod's identity into the driver template before spark-submit reads it", async () => {
    const s = scene({ submitExit: 0, phases: ["Succeeded"] });
    await s.run([]);
    expect(s.read("driver-template.yaml")).toBe(
      "metadata:\n  ownerReferences:\n  - name: pi-8f2c1a-x7k2p\n    uid: 0f6a7c3e-1b2d-4e5f-8a9b-0c1d2e3f4a5b\n",
    );
  });

  it("fails when spark-submit exited 0 but the driver failed (SPARK-26365)", async () => {
    const s = scene({ submitExit: 0, phases: ["Failed"] });
    const result = await s.run([]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "driver pod pi-8f2c1a-x7k2p-driver ended Failed (spark-submit exited 0); its log: kubectl logs pi-8f2c1a-x7k2p-driver",
    );
  });

  it("fails when the submission failed and no driver exists", async () => {
    const s = scene({ submitExit: 1, phases: ["Absent"] });
    const result = await s.run([]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no driver pod pi-8f2c1a-x7k2p-driver: the submission failed (spark-submit exited 1)");
  });

  it("follows the driver to its end and takes its outcome, checking for pending pods while it runs", async () => {
    const s = scene({ submitExit: 0, phases: ["Pending", "Running", "Succeeded"] });
    const result = await s.run([]);
    expect(result.code, result.stderr).toBe(0);
    expect(s.lines("asked")).toHaveLength(3);
    expect(s.lines("pending-checks")).toEqual(["600 pi-8f2c1a-x7k2p-driver", "600 pi-8f2c1a-x7k2p-driver"]);
    expect(s.lines("slept")).toEqual(["10", "10"]);
  });

  it("fails the run when its pods stay Pending too long, with Kubernetes' reason", async () => {
    const s = scene({ submitExit: 0, phases: ["Running", "Running", "Running"], pending: [0, 3] });
    const result = await s.run([]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("Pending for 900s (limit 600s): not scheduled: Unschedulable: 0/3 nodes are available");
    expect(result.stderr).toContain("stayed Pending longer than 600s (spark.pendingTimeoutSeconds); stopped");
    expect(s.lines("asked")).toHaveLength(2);
  });

  it("counts a failed pending check as a failed lookup", async () => {
    const s = scene({ submitExit: 0, phases: Array(6).fill("Running"), pending: Array(6).fill(1) });
    const result = await s.run([]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("cannot read the state of driver pod pi-8f2c1a-x7k2p-driver");
    expect(s.lines("pending-checks")).toHaveLength(6);
  });

  it("rides out a few failed lookups, but not an API that never answers", async () => {
    const transient = scene({ submitExit: 0, phases: ["ERROR", "ERROR", "Succeeded"] });
    expect((await transient.run([])).code).toBe(0);
    const down = scene({ submitExit: 0, phases: Array(6).fill("ERROR") });
    const result = await down.run([]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("cannot read the state of driver pod pi-8f2c1a-x7k2p-driver (spark-submit exited 0)");
    expect(down.lines("asked")).toHaveLength(6);
  });

  it("refuses to start without the pod's identity", async () => {
    const s = scene({ submitExit: 0, phases: ["Succeeded"] });
    const result = await s.run([], { POD_UID: "" });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("POD_UID");
    expect(s.read("args")).toBe("");
  });
});

// The API server stand-in: HTTPS with a self-signed certificate, bearer-token auth, the pods of
// namespace `jobs` (creation times relative to now), executor listing by label, and deletions
// recorded in the file named by its fifth argument.
const API_STUB = `
import datetime, http.server, json, ssl, sys, urllib.parse
port, cert, key, token, deleted = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
def pod(name, phase, age, role="driver", owner=None, **status):
    created = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=age)
    metadata = {"name": name, "labels": {"spark-role": role}, "creationTimestamp": created.strftime("%Y-%m-%dT%H:%M:%SZ")}
    if owner:
        metadata["ownerReferences"] = [{"apiVersion": "v1", "kind": "Pod", "name": owner, "uid": "u-" + owner}]
    return {"kind": "Pod", "metadata": metadata, "status": {"phase": phase, **status}}
UNSCHEDULABLE = [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                  "message": "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."}]
PULLING = [{"name": "spark-kubernetes-driver", "state": {"waiting": {"reason": "ImagePullBackOff",
            "message": "Back-off pulling image 192.0.2.21:6001/spark-pytorch"}}}]
def world():
    return [
        pod("infer-driver", "Failed", 60),
        pod("stuck-driver", "Running", 900),
        pod("stuck-exec-1", "Pending", 900, "executor", "stuck-driver", conditions=UNSCHEDULABLE),
        pod("stuck-exec-2", "Running", 900, "executor", "stuck-driver"),
        pod("stuck-exec-3", "Pending", 5, "executor", "stuck-driver", conditions=UNSCHEDULABLE),
        pod("other-exec-1", "Pending", 900, "executor", "other-driver", conditions=UNSCHEDULABLE),
        pod("pulling-driver", "Pending", 900, containerStatuses=PULLING),
        pod("fresh-driver", "Pending", 5),
    ]
PREFIX = "/api/v1/namespaces/jobs/pods"
class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self, code, body=None):
        self.send_response(code); self.send_header("Content-Type", "application/json"); self.end_headers()
        if body is not None: self.wfile.write(json.dumps(body).encode())
    def find(self):
        url = urllib.parse.urlsplit(self.path)
        if self.headers.get("Authorization") != "Bearer " + token: return 401, None, url
        pods = {p["metadata"]["name"]: p for p in world()}
        if url.path.startswith(PREFIX + "/") and url.path[len(PREFIX) + 1:] in pods: return 200, pods[url.path[len(PREFIX) + 1:]], url
        return 404, None, url
    def do_GET(self):
        code, found, url = self.find()
        if code == 401: return self.answer(401)
        if url.path == PREFIX:
            selector = urllib.parse.parse_qs(url.query).get("labelSelector", [""])[0]
            key, _, value = selector.partition("=")
            items = [p for p in world() if key and p["metadata"]["labels"].get(key) == value]
            return self.answer(200, {"kind": "PodList", "items": items})
        self.answer(code, found)
    def do_DELETE(self):
        code, found, url = self.find()
        if code == 200:
            with open(deleted, "a") as f: f.write(url.path + "\\n")
        self.answer(code, found)
    def log_message(self, *args):
        pass
`;

describe("driver-phase", () => {
  let api: Daemon;
  let port: number;
  let serviceAccountDir: string;
  let script: string;
  let deleted: string;

  beforeAll(async () => {
    const dir = tempDir("driver-phase");
    deleted = join(dir, "deleted");
    const account = await fakeServiceAccount(dir, "s3rvice-account-token", "jobs");
    serviceAccountDir = account.serviceAccountDir;
    script = join(dir, "driver-phase");
    // The lookup as deployed, reading the service account from the temporary directory instead.
    const deployed = JSON.stringify(SERVICE_ACCOUNT_PATH);
    expect(DRIVER_PHASE_SCRIPT).toContain(deployed);
    executable(script, DRIVER_PHASE_SCRIPT.replace(deployed, JSON.stringify(serviceAccountDir)));
    ({ api, port } = await startApiStandIn(dir, API_STUB, account, ["s3rvice-account-token", deleted]));
  });

  afterAll(async () => {
    await api?.stop();
  });

  // A proxy that would refuse everything: the lookup must not use it.
  const env = () => ({
    KUBERNETES_SERVICE_HOST: "127.0.0.1",
    KUBERNETES_SERVICE_PORT: String(port),
    HTTPS_PROXY: "http://127.0.0.1:9",
    https_proxy: "http://127.0.0.1:9",
  });

  it("prints the pod's phase, asking the API server directly with the service account's token and CA", async () => {
    const result = await run(script, ["infer-driver"], { env: env() });
    expect(result.stderr).toBe("");
    expect(result).toMatchObject({ code: 0, stdout: "Failed\n" });
  });

  it("prints Absent for a pod that does not exist", async () => {
    expect(await run(script, ["pi-driver"], { env: env() })).toMatchObject({ code: 0, stdout: "Absent\n" });
  });

  it("exits 1 when the API refuses the token", async () => {
    writeFileSync(join(serviceAccountDir, "token"), "rotated-elsewhere");
    try {
      const result = await run(script, ["infer-driver"], { env: env() });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe("driver-phase: the API server answered 401 to GET pods/infer-driver\n");
    } finally {
      writeFileSync(join(serviceAccountDir, "token"), "s3rvice-account-token\n");
    }
  });

  const deletions = () => (existsSync(deleted) ? readFileSync(deleted, "utf8") : "");

  it("stops a run whose executor stays unschedulable, naming the pod and the scheduler's reason", async () => {
    writeFileSync(deleted, "");
    const result = await run(script, ["--stop-if-pending", "600", "stuck-driver"], { env: env() });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(3);
    // Only the driver's own executors, and only those Pending beyond the limit.
    expect(result.stdout).toMatch(
      /^pod stuck-exec-1 Pending for 9\d\ds \(limit 600s\): not scheduled: Unschedulable: 0\/3 nodes are available: 3 Insufficient nvidia\.com\/gpu\.\ndeleted driver pod stuck-driver and with it its executors\n$/,
    );
    expect(deletions()).toBe("/api/v1/namespaces/jobs/pods/stuck-driver\n");
  });

  it("names a waiting container's reason when the pod was scheduled", async () => {
    writeFileSync(deleted, "");
    const result = await run(script, ["--stop-if-pending", "600", "pulling-driver"], { env: env() });
    expect(result.code).toBe(3);
    expect(result.stdout).toContain("pod pulling-driver Pending for 9");
    expect(result.stdout).toContain(
      "container spark-kubernetes-driver waiting: ImagePullBackOff: Back-off pulling image 192.0.2.21:6001/spark-pytorch",
    );
    expect(deletions()).toBe("/api/v1/namespaces/jobs/pods/pulling-driver\n");
  });

  it("leaves a run alone while its pods are within the limit, or when the driver is gone", async () => {
    writeFileSync(deleted, "");
    for (const [limit, driver] of [
      ["600", "fresh-driver"],
      ["1000", "stuck-driver"],
      ["600", "gone-driver"],
    ]) {
      expect(await run(script, ["--stop-if-pending", limit, driver], { env: env() }), driver).toMatchObject({
        code: 0,
        stdout: "",
        stderr: "",
      });
    }
    expect(deletions()).toBe("");
  });

  it("refuses a malformed call", async () => {
    const result = await run(script, ["--stop-if-pending", "ten", "stuck-driver"], { env: env() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("usage: driver-phase POD_NAME | driver-phase --stop-if-pending SECONDS POD_NAME");
  });

  it("exits 1 outside a pod", async () => {
    const result = await run(script, ["infer-driver"], { env: { KUBERNETES_SERVICE_HOST: "" } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("KUBERNETES_SERVICE_HOST/PORT not set");
  });
});
