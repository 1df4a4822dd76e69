// The GPU readiness check (components/workload/scripts/gpu-ready.sh) run as its Job runs it, by sh
// with a real kubectl, against a local HTTP server playing the API server's nodes. A stand-in
// `sleep` moves the cluster to its next state between polls. Needs kubectl on PATH (Debian:
// kubernetes-client; its 1.20 and kubectl 1.32 both pass).
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GPU_READY_SCRIPT } from "../../components/workload/render-gpu";
import { freePort, run, startDaemon, tempDir, type Daemon } from "../harness/daemons";

// Nodes come from the file named by the second argument, re-read at every request:
// {"<name>": {"labels": {...}, "allocatable": {...}}}. Enough discovery for `kubectl get nodes`.
const API_STUB = `
import http.server, json, sys, urllib.parse
port, world = int(sys.argv[1]), sys.argv[2]
def node(name, n):
    return {"kind": "Node", "apiVersion": "v1", "metadata": {"name": name, "labels": n.get("labels", {})},
            "status": {"allocatable": n.get("allocatable", {})}}
class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self, code, body):
        self.send_response(code); self.send_header("Content-Type", "application/json"); self.end_headers()
        self.wfile.write(json.dumps(body).encode())
    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        with open(world) as f: nodes = json.load(f)
        if url.path == "/api": return self.answer(200, {"kind": "APIVersions", "versions": ["v1"]})
        if url.path == "/apis": return self.answer(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": []})
        if url.path == "/api/v1":
            return self.answer(200, {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
                {"name": "nodes", "singularName": "node", "namespaced": False, "kind": "Node", "verbs": ["get", "list"]}]})
        if url.path == "/api/v1/nodes":
            key, _, value = urllib.parse.parse_qs(url.query).get("labelSelector", [""])[0].partition("=")
            items = [node(name, n) for name, n in nodes.items() if not key or n.get("labels", {}).get(key) == value]
            return self.answer(200, {"kind": "NodeList", "apiVersion": "v1", "metadata": {}, "items": items})
        name = url.path.rsplit("/", 1)[-1]
        if url.path.startswith("/api/v1/nodes/") and name in nodes: return self.answer(200, node(name, nodes[name]))
        self.answer(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404,
                          "message": 'nodes "%s" not found' % name, "details": {"name": name, "kind": "nodes"}})
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
`;

const GPU = { "nvidia.com/gpu": "1", cpu: "8" };
const NO_GPU = { cpu: "8" };
const LABELS = { "nvidia.com/gpu.present": "true" };

let api: Daemon;
let dir: string;

beforeAll(async () => {
  const kubectl = await run("/bin/sh", ["-c", "command -v kubectl"]);
  expect(kubectl.code, "kubectl is missing (Debian: apt-get install kubernetes-client)").toBe(0);
  dir = tempDir("gpu-ready");
  writeFileSync(join(dir, "api.py"), API_STUB);
  writeFileSync(join(dir, "nodes.json"), "{}");
  const port = await freePort();
  api = await startDaemon("api-stub", "python3", [join(dir, "api.py"), String(port), join(dir, "nodes.json")], {
    ready: async () => (await run("python3", ["-c", `import socket; socket.create_connection(("127.0.0.1", ${port}), 1)`])).code === 0,
  });
  writeFileSync(
    join(dir, "kubeconfig"),
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n`,
  );
  // The program as deployed, its termination message moved to a file of the test's.
  expect(GPU_READY_SCRIPT).toContain("/dev/termination-log");
  writeFileSync(join(dir, "gpu-ready.sh"), GPU_READY_SCRIPT.replaceAll("/dev/termination-log", join(dir, "termination-log")));
  // sleep: moves the cluster to its next state (when one is queued) and takes a real moment.
  writeFileSync(
    join(dir, "sleep"),
    `#!/bin/sh\necho "$1" >>"${dir}/slept"\nif [ -f "${dir}/next.json" ]; then mv "${dir}/next.json" "${dir}/nodes.json"; fi\nexec /bin/sleep 0.2\n`,
  );
  chmodSync(join(dir, "sleep"), 0o755);
});

afterAll(async () => {
  await api?.stop();
});

/** Runs the check against a cluster that starts as `now` and, after the first poll, becomes `next`. */
async function check(env: Record<string, string>, now: object, next?: object) {
  writeFileSync(join(dir, "nodes.json"), JSON.stringify(now));
  if (next !== undefined) writeFileSync(join(dir, "next.json"), JSON.stringify(next));
  for (const file of ["slept", "termination-log"]) writeFileSync(join(dir, file), "");
  const result = await run("/bin/sh", [join(dir, "gpu-ready.sh")], {
    env: {
      PATH: `${dir}:${process.env.PATH}`,
      HOME: dir,
      KUBECONFIG: join(dir, "kubeconfig"),
      GPU_NODE_SELECTOR: "nvidia.com/gpu.present=true",
      ...env,
    },
  });
  const read = (file: string) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), "utf8") : "");
  return { ...result, polls: read("slept").split("\n").filter(Boolean).length + 1, terminationLog: read("termination-log") };
}

describe("gpu-ready", () => {
  it("waits until every named GPU node reports allocatable nvidia.com/gpu", async () => {
    const before = { "gpu-node-1": { labels: LABELS, allocatable: GPU }, "gpu-node-2": { labels: LABELS, allocatable: NO_GPU } };
    const after = { ...before, "gpu-node-2": { labels: LABELS, allocatable: GPU } };
    const result = await check({ GPU_NODES: "gpu-node-1 gpu-node-2", TIMEOUT_SECONDS: "30" }, before, after);
    expect(result.code, result.stderr).toBe(0);
    expect(result.polls).toBe(2);
    expect(result.stdout).toContain("gpu-ready: every GPU node reports allocatable nvidia.com/gpu:\ngpu-node-1 1\ngpu-node-2 1\n");
  });

  it("fails after the timeout naming the nodes without GPUs, absent ones included, in its termination message", async () => {
    const nodes = { "gpu-node-1": { allocatable: GPU }, "gpu-node-2": { allocatable: { ...NO_GPU, "nvidia.com/gpu": "0" } } };
    const result = await check({ GPU_NODES: "gpu-node-1 gpu-node-2 gpu-node-3", TIMEOUT_SECONDS: "1" }, nodes);
    expect(result.code).toBe(1);
    const message =
      "GPU nodes without allocatable nvidia.com/gpu after 1s: gpu-node-2 gpu-node-3 (is the NVIDIA device plugin running there, and the node's runtime nvidia?)";
    expect(result.stderr).toContain(`gpu-ready: ${message}`);
    expect(result.terminationLog).toBe(`${message}\n`);
  });

  it("without named nodes, waits for every node with the GPU label, and for at least one", async () => {
    const unlabelled = { "cpu-node": { allocatable: NO_GPU } };
    const labelled = { ...unlabelled, "gpu-node-1": { labels: LABELS, allocatable: GPU } };
    const ok = await check({ GPU_NODES: "", TIMEOUT_SECONDS: "30" }, unlabelled, labelled);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.polls).toBe(2);
    const none = await check({ GPU_NODES: "", TIMEOUT_SECONDS: "1" }, unlabelled);
    expect(none.code).toBe(1);
    expect(none.terminationLog).toBe("no node labelled nvidia.com/gpu.present=true after 1s\n");
    const short = await check(
      { GPU_NODES: "", TIMEOUT_SECONDS: "1" },
      { ...labelled, "gpu-node-2": { labels: LABELS, allocatable: NO_GPU } },
    );
    expect(short.code).toBe(1);
    expect(short.terminationLog).toContain("after 1s: gpu-node-2 (");
  });
});
