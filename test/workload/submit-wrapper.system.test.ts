// The submitter's wrapper and its status lookup (components/workload/scripts/, linted there by
// npm run lint:scripts), run for real: the wrapper under /bin/sh with stand-ins for spark-submit,
// driver-phase and sleep on PATH; then driver-phase (Python) against a local HTTPS server playing
// the API server.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DRIVER_PHASE_SCRIPT, OWNER_PLACEHOLDERS, SUBMIT_SCRIPT } from "../../components/workload/render-submit";
import { DRIVER_POD_NAME_ENV, SUBMIT_FILES, SUBMIT_PATHS } from "../../components/workload/render-spark";
import { freePort, run, runOk, startDaemon, tempDir, type Daemon } from "../harness/daemons";

function executable(path: string, content: string): void {
  writeFileSync(path, content);
  chmodSync(path, 0o755);
}

/** A scene: the wrapper beside its driver template, stand-ins that replay a scripted run. */
function scene(options: { submitExit: number; phases: string[] }) {
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
  // spark-submit: records its arguments (one per line) and the driver template it was given.
  executable(
    join(stubs, "spark-submit"),
    `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done >"${state}/args"\ncp "${paths.workDir}/${SUBMIT_FILES.driverTemplate}" "${state}/driver-template.yaml"\nexit ${options.submitExit}\n`,
  );
  // driver-phase: answers with the next scripted phase; ERROR means the API could not be asked.
  executable(
    join(stubs, SUBMIT_FILES.driverPhase),
    `#!/bin/sh\necho "$1" >>"${state}/asked"\nphase=$(head -n 1 "${state}/phases")\nsed -i 1d "${state}/phases"\n[ "$phase" = ERROR ] && { echo "driver-phase: API down" >&2; exit 1; }\necho "$phase"\n`,
  );
  executable(join(stubs, "sleep"), `#!/bin/sh\necho "$1" >>"${state}/slept"\n`);
  const env = {
    PATH: `${stubs}:${process.env.PATH}`,
    POD_NAME: "pi-8f2c1a-x7k2p",
    POD_UID: "0f6a7c3e-1b2d-4e5f-8a9b-0c1d2e3f4a5b",
    [DRIVER_POD_NAME_ENV]: "pi-8f2c1a-x7k2p-driver",
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

  it("waits for the driver when spark-submit stopped watching early, and takes the driver's outcome", async () => {
    const s = scene({ submitExit: 1, phases: ["Running", "Running", "Succeeded"] });
    const result = await s.run([]);
    expect(result.code, result.stderr).toBe(0);
    expect(s.lines("asked")).toHaveLength(3);
    expect(s.lines("slept")).toEqual(["10", "10"]);
  });

  it("rides out a few failed lookups, but not an API that never answers", async () => {
    const transient = scene({ submitExit: 0, phases: ["ERROR", "ERROR", "Succeeded"] });
    expect((await transient.run([])).code).toBe(0);
    const down = scene({ submitExit: 0, phases: Array(6).fill("ERROR") });
    const result = await down.run([]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("cannot read the phase of driver pod pi-8f2c1a-x7k2p-driver (spark-submit exited 0)");
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

// The API server stand-in: HTTPS with a self-signed certificate, one pod, bearer-token auth.
const API_STUB = `
import http.server, json, ssl, sys
port, cert, key, token = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.headers.get("Authorization") != "Bearer " + token:
            self.send_response(401); self.end_headers(); return
        if self.path == "/api/v1/namespaces/jobs/pods/infer-driver":
            body = json.dumps({"kind": "Pod", "status": {"phase": "Failed"}}).encode()
            self.send_response(200); self.send_header("Content-Type", "application/json"); self.end_headers(); self.wfile.write(body); return
        self.send_response(404); self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", port), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
`;

describe("driver-phase", () => {
  let api: Daemon;
  let port: number;
  let serviceAccountDir: string;
  let script: string;

  beforeAll(async () => {
    const dir = tempDir("driver-phase");
    serviceAccountDir = join(dir, "serviceaccount");
    mkdirSync(serviceAccountDir);
    await runOk("openssl", [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=kubernetes",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      join(dir, "tls.key"),
      "-out",
      join(serviceAccountDir, "ca.crt"),
    ]);
    writeFileSync(join(serviceAccountDir, "token"), "s3rvice-account-token\n");
    writeFileSync(join(serviceAccountDir, "namespace"), "jobs");
    script = join(dir, "driver-phase");
    // The lookup as deployed, reading the service account from the temporary directory instead.
    const deployed = JSON.stringify("/var/run/secrets/kubernetes.io/serviceaccount");
    expect(DRIVER_PHASE_SCRIPT).toContain(deployed);
    executable(script, DRIVER_PHASE_SCRIPT.replace(deployed, JSON.stringify(serviceAccountDir)));
    writeFileSync(join(dir, "api.py"), API_STUB);
    port = await freePort();
    api = await startDaemon(
      "api-stub",
      "python3",
      [join(dir, "api.py"), String(port), join(serviceAccountDir, "ca.crt"), join(dir, "tls.key"), "s3rvice-account-token"],
      {
        ready: async () => (await run("python3", ["-c", `import socket; socket.create_connection(("127.0.0.1", ${port}), 1)`])).code === 0,
      },
    );
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
      expect(result.stderr).toBe("driver-phase: the API server answered 401 for pod infer-driver\n");
    } finally {
      writeFileSync(join(serviceAccountDir, "token"), "s3rvice-account-token\n");
    }
  });

  it("exits 1 outside a pod", async () => {
    const result = await run(script, ["infer-driver"], { env: { KUBERNETES_SERVICE_HOST: "" } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("KUBERNETES_SERVICE_HOST/PORT not set");
  });
});
