// The image's Python applications (images/spark-pytorch/app/) run by this machine's python3, with
// stand-ins for torch and pyspark (test/workload/python-standins/) and, for the smoke run's image
// check, a local HTTPS server playing the API server with the pods' kubelet-reported images.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, tempDir, type Daemon } from "../harness/daemons";
import { fakeServiceAccount, SERVICE_ACCOUNT_PATH, startApiStandIn } from "../harness/service-account";

const APP_DIR = join(__dirname, "../../images/spark-pytorch/app");
const STANDINS = join(__dirname, "python-standins");
const DIGEST = `sha256:${"ab".repeat(32)}`;
const OTHER_DIGEST = `sha256:${"cd".repeat(32)}`;
const REPOSITORY = "192.0.2.21:6001/spark-pytorch";

// Pods of namespace `spark` by name, each with one container and the imageID its kubelet reports.
const API_STUB = `
import http.server, json, ssl, sys
port, cert, key, pods = int(sys.argv[1]), sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        name = self.path.rsplit("/", 1)[-1]
        if self.headers.get("Authorization") != "Bearer t0ken" or not self.path.startswith("/api/v1/namespaces/spark/pods/") or name not in pods:
            self.send_response(404); self.end_headers(); return
        body = {"kind": "Pod", "metadata": {"name": name}, "status": {"containerStatuses": [{"name": "spark", "imageID": pods[name]}]}}
        self.send_response(200); self.send_header("Content-Type", "application/json"); self.end_headers()
        self.wfile.write(json.dumps(body).encode())
    def log_message(self, *args):
        pass
`;

const PODS = {
  // cri-dockerd's and containerd's spellings of the same digest.
  "smoke-driver": `docker-pullable://${REPOSITORY}@${DIGEST}`,
  "smoke-exec-1": `${REPOSITORY}@${DIGEST}`,
  "smoke-exec-2": `${REPOSITORY}@${DIGEST}`,
  "stale-exec": `${REPOSITORY}@${OTHER_DIGEST}`,
};

let api: Daemon;
let port: number;
let smoke: string;

beforeAll(async () => {
  const dir = tempDir("smoke");
  const account = await fakeServiceAccount(dir, "t0ken", "spark");
  // The application as built into the image, reading the service account from the temporary directory.
  const deployed = JSON.stringify(SERVICE_ACCOUNT_PATH);
  const source = readFileSync(join(APP_DIR, "smoke.py"), "utf8");
  expect(source).toContain(deployed);
  smoke = join(dir, "smoke.py");
  writeFileSync(smoke, source.replace(deployed, JSON.stringify(account.serviceAccountDir)));
  ({ api, port } = await startApiStandIn(dir, API_STUB, account, [JSON.stringify(PODS)]));
});

afterAll(async () => {
  await api?.stop();
});

interface Scene {
  readonly cudaDevices?: number;
  readonly misroute?: boolean;
  readonly taskGpus?: string[][];
  readonly taskPods?: string[];
  readonly hdfs?: "ok" | "lose" | "down";
  readonly defaultFs?: string;
}

/** The smoke run in a scene: two GPU executors with HDFS unless told otherwise. */
async function runSmoke(scene: Scene, args: string[] = ["--executors", "2", "--gpus-per-executor", "1", "--hdfs-dir", "/tmp/smoke"]) {
  const result = await run("python3", [smoke, "--expected-digest", DIGEST, ...args], {
    env: {
      PYTHONPATH: STANDINS,
      HOSTNAME: "smoke-driver",
      KUBERNETES_SERVICE_HOST: "127.0.0.1",
      KUBERNETES_SERVICE_PORT: String(port),
      HTTPS_PROXY: "http://127.0.0.1:9",
      STANDIN_CUDA_DEVICES: String(scene.cudaDevices ?? 1),
      STANDIN_CUDA_MISROUTE: scene.misroute ? "1" : "0",
      STANDIN_TASK_GPUS: JSON.stringify(scene.taskGpus ?? [["0"], ["0"]]),
      STANDIN_TASK_PODS: JSON.stringify(scene.taskPods ?? ["smoke-exec-1", "smoke-exec-2"]),
      STANDIN_HDFS: scene.hdfs ?? "ok",
      STANDIN_SPARK_CONF: JSON.stringify({ "spark.hadoop.fs.defaultFS": scene.defaultFs ?? "hdfs://hdfs-namenode.hdfs.svc:8020" }),
    },
  });
  const problems = result.stderr
    .split("\n")
    .filter((line) => line.startsWith("smoke: "))
    .map((line) => line.slice("smoke: ".length));
  return { ...result, problems };
}

describe("smoke.py", () => {
  it("passes on GPU executors whose GPU is the one Spark assigned, on the pushed digest, with HDFS round-tripping", async () => {
    const result = await runSmoke({});
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ ok: true, problems: [], digest: DIGEST });
    expect(report.tasks).toEqual([
      { pod: "smoke-exec-1", gpus: ["0"], problems: [] },
      { pod: "smoke-exec-2", gpus: ["0"], problems: [] },
    ]);
  });

  it("passes without GPUs or HDFS when the stack has neither", async () => {
    const result = await runSmoke({ cudaDevices: 0, taskGpus: [[]], taskPods: ["smoke-exec-1"] }, [
      "--executors",
      "1",
      "--gpus-per-executor",
      "0",
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it("fails when Spark assigned a GPU that CUDA cannot use", async () => {
    const result = await runSmoke({ cudaDevices: 0 });
    expect(result.code).toBe(1);
    expect(result.problems).toEqual([
      "smoke-exec-1: Spark assigned GPU 0 but CUDA is unavailable",
      "smoke-exec-2: Spark assigned GPU 0 but CUDA is unavailable",
    ]);
    expect(JSON.parse(result.stdout).ok).toBe(false);
  });

  it("fails when the task got no GPU, or the container sees other GPUs and computes on another one", async () => {
    const result = await runSmoke({ cudaDevices: 2, misroute: true, taskGpus: [[], ["1"]] });
    expect(result.code).toBe(1);
    expect(result.problems).toEqual([
      "smoke-exec-1: Spark assigned the task no GPU",
      "smoke-exec-2: the container sees 2 GPUs, its executor was given 1",
      "smoke-exec-2: torch computes on cuda:0, Spark assigned GPU 1",
    ]);
  });

  it("fails when the tasks did not reach every executor", async () => {
    const result = await runSmoke({ taskPods: ["smoke-exec-1", "smoke-exec-1"] });
    expect(result.problems).toEqual(["the tasks ran in 1 executor pods, expected 2"]);
    expect(result.code).toBe(1);
  });

  it("fails when a pod runs another image than the pushed digest, or its pod cannot be read", async () => {
    const result = await runSmoke({ taskPods: ["stale-exec", "vanished-exec"] });
    expect(result.code).toBe(1);
    expect(result.problems).toEqual([
      `pod stale-exec container spark runs ${REPOSITORY}@${OTHER_DIGEST}, not ${DIGEST}`,
      "image of pod vanished-exec: HTTPError: HTTP Error 404: Not Found",
    ]);
  });

  it("fails when HDFS loses the file, is down, or is not the default filesystem", async () => {
    const lost = await runSmoke({ hdfs: "lose" });
    expect(lost.code).toBe(1);
    expect(lost.problems).toEqual([
      expect.stringMatching(/^wrote [0-9a-f]{32} to hdfs:\/\/hdfs-namenode\.hdfs\.svc:8020\/tmp\/smoke\/last-run, read back \[\]$/),
    ]);
    const down = await runSmoke({ hdfs: "down" });
    expect(down.problems).toEqual(["HDFS: RuntimeError: java.net.ConnectException: Connection refused (hdfs-namenode:8020)"]);
    const local = await runSmoke({ defaultFs: "file:///" });
    expect(local.problems).toEqual(["fs.defaultFS is file:///, not HDFS"]);
  });
});

/** Runs Python with batch_inference importable and the stand-ins; the snippet prints JSON. */
async function batchInference(snippet: string, cudaDevices: number) {
  return run("python3", ["-c", `import json, batch_inference as b\n${snippet}`], {
    env: { PYTHONPATH: `${APP_DIR}:${STANDINS}`, STANDIN_CUDA_DEVICES: String(cudaDevices) },
  });
}

describe("batch_inference.py", () => {
  it("runs a task on the GPU Spark assigned, or on the CPU when it assigned none", async () => {
    const result = await batchInference('print(json.dumps([str(b.choose_device(["1"])), str(b.choose_device([]))]))', 2);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual(["cuda:1", "cpu"]);
  });

  it("fails the task, rather than fall back to the CPU, when Spark assigned a GPU CUDA cannot use", async () => {
    const task = [
      "from pyspark import ResourceInformation, TaskContext",
      'TaskContext.current = TaskContext({"gpu": ResourceInformation("gpu", ["0"])})',
      "rows = iter([{'id': 0, **{f'f{i}': 0.5 for i in range(b.FEATURES)}}])",
      "list(b.infer_partition(None, 8)(rows))",
    ].join("\n");
    const result = await batchInference(task, 0);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("batch_inference.GpuUnavailable: Spark assigned GPU 0 but CUDA is unavailable");
  });

  it("judges the summary: rows missing, or predicted on the CPU while executors held GPUs", async () => {
    const summaries = [
      [{ rows: 10, expectedRows: 10, rowsByDevice: { "cuda:0": 10 } }, 1],
      [{ rows: 10, expectedRows: 10, rowsByDevice: { cpu: 10 } }, 0],
      [{ rows: 10, expectedRows: 10, rowsByDevice: { "cuda:0": 6, cpu: 4 } }, 1],
      [{ rows: 9, expectedRows: 10, rowsByDevice: { "cuda:0": 9 } }, 0.5],
    ];
    const result = await batchInference(`print(json.dumps([b.summary_problems(s, g) for s, g in ${JSON.stringify(summaries)}]))`, 1);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual([
      [],
      [],
      ["executors have 1 GPUs each, yet 4 rows were predicted on the CPU"],
      ["expected 10 predictions, found 9"],
    ]);
  });
});
