// The real distribution server (Debian's docker-registry 2.8.2) running the config.yml and htpasswd
// the component renders: push, pull, auth, persistence across a restart, delete and the rendered
// garbage-collection procedure, with a stand-in kubectl that drives this local server the way the
// cluster would drive the registry pod.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { CONFIG_DIR, CONFIG_FILE, READONLY_CONFIG_FILE, renderGcScript } from "../../components/registry/render";
import { freePort, run, runOk, startRegistryServer, tempDir, type Daemon, type RunResult } from "../harness/daemons";
import { writeRenderedRegistry, type RenderedRegistryFiles } from "./rendered-registry";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const GC = {
  namespace: "registry",
  deployment: "registry",
  container: "registry",
  deleteUntagged: false,
  rolloutTimeoutSeconds: 300,
} as const;

let files: RenderedRegistryFiles;
let server: Daemon | undefined;
let control: Server | undefined;
const work = tempDir("registry-real");
const layout = join(work, "images");

const endpoint = () => `127.0.0.1:${files.port}`;
const basicAuth = () => `Basic ${Buffer.from(`${files.username}:${files.password}`).toString("base64")}`;

async function serve(configPath: string): Promise<void> {
  await server?.stop();
  server = await startRegistryServer(configPath);
}

/** skopeo between the local OCI layout and the registry; digests must survive unchanged both ways. */
function skopeoCopy(from: string, to: string, creds: "with" | "anonymous", extra: string[] = []): Promise<RunResult> {
  const credArgs =
    creds === "with"
      ? ["--src-creds", `${files.username}:${files.password}`, "--dest-creds", `${files.username}:${files.password}`]
      : ["--src-no-creds", "--dest-no-creds"];
  return run(
    "skopeo",
    ["copy", "--preserve-digests", "--src-tls-verify=false", "--dest-tls-verify=false", ...credArgs, ...extra, from, to],
    {
      env: { REGISTRY_AUTH_FILE: join(work, "no-auth.json") },
    },
  );
}

const push = (tag: string, creds: "with" | "anonymous" = "with") =>
  skopeoCopy(`oci:${layout}:${tag}`, `docker://${endpoint()}/demo/app:${tag}`, creds);
const pull = (tag: string) => skopeoCopy(`docker://${endpoint()}/demo/app:${tag}`, `oci:${join(work, "pulled")}:${tag}`, "with");

interface ImageDigests {
  readonly manifest: string;
  /** Config and layer blobs. */
  readonly blobs: string[];
}

function digestsOf(tag: string): ImageDigests {
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  const manifest = index.manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === tag)!.digest;
  const body = JSON.parse(readFileSync(join(layout, "blobs", "sha256", manifest.slice("sha256:".length)), "utf8")) as {
    config: { digest: string };
    layers: { digest: string }[];
  };
  return { manifest, blobs: [body.config.digest, ...body.layers.map((l) => l.digest)] };
}

/** Where the filesystem driver keeps a blob's bytes. */
const blobOnDisk = (digest: string) => {
  const hex = digest.slice("sha256:".length);
  return join(files.dataDir, "docker", "registry", "v2", "blobs", "sha256", hex.slice(0, 2), hex, "data");
};

/** The manifest digest the registry serves for a tag (what a client deletes by). */
async function servedDigest(tag: string): Promise<string> {
  const response = await fetch(`http://${endpoint()}/v2/demo/app/manifests/${tag}`, {
    method: "HEAD",
    headers: { authorization: basicAuth(), accept: OCI_MANIFEST },
  });
  expect(response.status).toBe(200);
  return response.headers.get("docker-content-digest")!;
}

/** Status of starting a blob upload: 202 when the registry accepts writes. */
async function uploadStatus(): Promise<number> {
  const response = await fetch(`http://${endpoint()}/v2/demo/app/blobs/uploads/`, {
    method: "POST",
    headers: { authorization: basicAuth() },
  });
  await response.arrayBuffer();
  return response.status;
}

interface KubectlCall {
  readonly argv: string[];
  /** For `exec`: whether the registry accepted an upload while the command ran. */
  readonly uploadStatusDuringExec?: number;
}

/**
 * The stand-in for kubectl: a tiny executable forwarding its argv to this test process, which acts
 * as the cluster: `patch` restarts the local server with the config file the patch selects,
 * `rollout status` returns once it answers, `exec … registry garbage-collect` runs Debian's binary
 * against the remapped config. Anything else fails, so the script cannot call what we did not expect.
 */
async function startFakeCluster(options: { failExec: boolean }): Promise<{ binDir: string; url: string; calls: KubectlCall[] }> {
  const calls: KubectlCall[] = [];
  const localConfig = (podPath: string) => {
    const byPodPath: Record<string, string> = {
      [`${CONFIG_DIR}/${CONFIG_FILE}`]: files.configPath,
      [`${CONFIG_DIR}/${READONLY_CONFIG_FILE}`]: files.readOnlyConfigPath,
    };
    if (!(podPath in byPodPath)) throw new Error(`the pod has no config ${podPath}`);
    return byPodPath[podPath];
  };
  const handle = async (argv: string[]): Promise<RunResult> => {
    const [nsFlag, ns, verb, ...rest] = argv;
    if (nsFlag !== "--namespace" || ns !== GC.namespace)
      return { code: 2, stdout: "", stderr: `unexpected namespace in ${argv.join(" ")}` };
    if (
      verb === "patch" &&
      rest[0] === "deployment" &&
      rest[1] === GC.deployment &&
      rest[2] === "--type" &&
      rest[3] === "strategic" &&
      rest[4] === "--patch"
    ) {
      const container = JSON.parse(rest[5]).spec.template.spec.containers.find((c: { name: string }) => c.name === GC.container);
      await serve(localConfig(container.args[1]));
      calls.push({ argv });
      return { code: 0, stdout: `deployment.apps/${GC.deployment} patched\n`, stderr: "" };
    }
    if (verb === "rollout" && rest[0] === "status" && rest[1] === "deployment" && rest[2] === GC.deployment) {
      calls.push({ argv });
      return { code: 0, stdout: `deployment "${GC.deployment}" successfully rolled out\n`, stderr: "" };
    }
    if (
      verb === "exec" &&
      rest[0] === `deployment/${GC.deployment}` &&
      rest[1] === "--container" &&
      rest[2] === GC.container &&
      rest[3] === "--" &&
      rest[4] === "registry"
    ) {
      const uploadStatusDuringExec = await uploadStatus();
      calls.push({ argv, uploadStatusDuringExec });
      if (options.failExec) return { code: 1, stdout: "", stderr: "error: unable to upgrade connection\n" };
      const args = rest.slice(5);
      return run("docker-registry", [...args.slice(0, -1), localConfig(args[args.length - 1])]);
    }
    return { code: 2, stdout: "", stderr: `fake kubectl: unexpected call: ${argv.join(" ")}` };
  };
  control = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      handle(JSON.parse(body) as string[])
        .catch((error: Error) => ({ code: 3, stdout: "", stderr: `${error.message}\n` }))
        .then((result) => res.end(JSON.stringify(result)));
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => control!.listen(port, "127.0.0.1", r));
  const binDir = tempDir("fake-kubectl");
  writeFileSync(
    join(binDir, "kubectl"),
    `#!/usr/bin/env node
fetch(process.env.FAKE_KUBECTL_URL, { method: "POST", body: JSON.stringify(process.argv.slice(2)) })
  .then((r) => r.json())
  .then(({ code, stdout, stderr }) => { process.stdout.write(stdout); process.stderr.write(stderr); process.exitCode = code; });
`,
  );
  chmodSync(join(binDir, "kubectl"), 0o755);
  return { binDir, url: `http://127.0.0.1:${port}/`, calls };
}

async function stopFakeCluster(): Promise<void> {
  await new Promise<void>((r) => (control ? control.close(() => r()) : r()));
  control = undefined;
}

async function runGcScript(options: { failExec: boolean }): Promise<{ result: RunResult; calls: KubectlCall[] }> {
  const cluster = await startFakeCluster(options);
  try {
    const script = join(work, "gc.sh");
    writeFileSync(script, renderGcScript(GC));
    const result = await run("sh", [script], { env: { PATH: `${cluster.binDir}:${process.env.PATH}`, FAKE_KUBECTL_URL: cluster.url } });
    return { result, calls: cluster.calls };
  } finally {
    await stopFakeCluster();
  }
}

/** Which config each `patch` switched to, and where the exec ran, in order. */
const sequence = (calls: KubectlCall[]) =>
  calls.map(({ argv }) =>
    argv[2] === "patch"
      ? `serve ${JSON.parse(argv[8]).spec.template.spec.containers[0].args[1]}`
      : argv[2] === "exec"
        ? "exec"
        : `${argv[2]} ${argv[3]}`,
  );

beforeAll(async () => {
  files = await writeRenderedRegistry({ username: "builder" });
  await serve(files.configPath);
  // Two small images, each with a layer of its own: "keep" stays, "drop" is deleted and collected.
  await runOk("umoci", ["init", "--layout", layout]);
  for (const tag of ["keep", "drop"]) {
    const content = join(work, `${tag}.txt`);
    writeFileSync(content, `${tag} layer\n`);
    await runOk("umoci", ["new", "--image", `${layout}:${tag}`]);
    await runOk("umoci", ["insert", "--image", `${layout}:${tag}`, content, `/${tag}.txt`]);
  }
  writeFileSync(join(work, "no-auth.json"), "{}\n");
});

afterAll(async () => {
  await stopFakeCluster();
  await server?.stop();
});

describe("the rendered registry, for real", () => {
  it("answers probes on / without credentials and requires them on /v2/", async () => {
    expect((await fetch(`http://${endpoint()}/`)).status).toBe(200);
    expect((await fetch(`http://${endpoint()}/v2/`)).status).toBe(401);
    expect((await fetch(`http://${endpoint()}/v2/`, { headers: { authorization: basicAuth() } })).status).toBe(200);
  });

  it("refuses an anonymous push", async () => {
    const anonymous = await push("keep", "anonymous");
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(/authentication required|unauthorized/i);
  });

  it("takes pushes with the rendered credentials and serves them back unchanged", async () => {
    for (const tag of ["keep", "drop"]) {
      const pushed = await push(tag);
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(await servedDigest(tag)).toBe(digestsOf(tag).manifest);
      const pulled = await pull(tag);
      expect(pulled.code, pulled.stderr).toBe(0);
    }
    for (const digest of [...digestsOf("keep").blobs, ...digestsOf("drop").blobs]) expect(existsSync(blobOnDisk(digest))).toBe(true);
  });

  it("still has both images after a restart", async () => {
    await serve(files.configPath);
    for (const tag of ["keep", "drop"]) expect((await pull(tag)).code).toBe(0);
  });

  it("deletes an image by digest and the rendered GC procedure reclaims its blobs, read-only while collecting", async () => {
    const response = await fetch(`http://${endpoint()}/v2/demo/app/manifests/${await servedDigest("drop")}`, {
      method: "DELETE",
      headers: { authorization: basicAuth() },
    });
    expect(response.status).toBe(202);
    const dropped = digestsOf("drop");
    for (const digest of dropped.blobs) expect(existsSync(blobOnDisk(digest))).toBe(true); // delete only unlinks

    const { result, calls } = await runGcScript({ failExec: false });
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(sequence(calls)).toEqual([
      `serve ${CONFIG_DIR}/${READONLY_CONFIG_FILE}`,
      "rollout status",
      "exec",
      `serve ${CONFIG_DIR}/${CONFIG_FILE}`,
      "rollout status",
    ]);
    // While garbage-collect ran, the registry refused the start of any upload.
    expect(calls.find((c) => c.uploadStatusDuringExec !== undefined)?.uploadStatusDuringExec).toBe(405);

    for (const digest of [dropped.manifest, ...dropped.blobs]) expect(existsSync(blobOnDisk(digest)), digest).toBe(false);
    for (const digest of [digestsOf("keep").manifest, ...digestsOf("keep").blobs])
      expect(existsSync(blobOnDisk(digest)), digest).toBe(true);
    expect((await pull("keep")).code).toBe(0);
    expect((await pull("drop")).code).not.toBe(0);
    // Back to read-write: pushes work again.
    expect(await uploadStatus()).toBe(202);
    expect((await push("drop")).code).toBe(0);
  });

  it("returns the registry to read-write when garbage-collect fails, and reports the failure", async () => {
    const { result, calls } = await runGcScript({ failExec: true });
    expect(result.code).not.toBe(0);
    expect(sequence(calls).at(-2)).toBe(`serve ${CONFIG_DIR}/${CONFIG_FILE}`);
    expect(await uploadStatus()).toBe(202);
  });
});
