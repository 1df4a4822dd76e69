// Stand-ins for the two public base images, which cannot be pulled here. What they replace:
//   apache/spark:<tag>    → a Debian root filesystem with the layout our Dockerfile copies from it:
//                           /opt/spark/{jars,bin,sbin,python,examples/...,work-dir,RELEASE}, the GPU
//                           discovery script at its standard path, /opt/entrypoint.sh, /opt/decom.sh.
//                           Its jars and scripts are placeholders; its entrypoint is our own script
//                           with the same contract as Spark's for what the test runs (a plain command
//                           passes through; driver/executor start Java under /usr/bin/tini).
//   pytorch/pytorch:<tag> → the same Debian root filesystem with a Python interpreter at the configured
//                           path (Debian's python3 3.11, where the real image has conda's Python with
//                           torch and the CUDA wheels), running as root like the real one.
// Both are built from ONE `debootstrap --variant=minbase` root filesystem, imported with
// `docker import`; that root filesystem is cached between runs (rootfs-cache.ts), the images are not.
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { run, type RunOptions, type RunResult } from "../harness/daemons";
import { cachedRootfsTar } from "./rootfs-cache";

/** Debian's docker.io CLI (20.10): BuildKit built in, as the Pulumi provider uses it; no buildx plugin needed. */
export const DOCKER_CLI = "/usr/bin/docker";

export interface DockerClient {
  /** DOCKER_HOST, DOCKER_CONFIG (logins stay in the test's dir) and DOCKER_BUILDKIT=1. */
  readonly env: Record<string, string>;
  docker(args: readonly string[], options?: RunOptions): Promise<RunResult>;
}

export function dockerClient(host: string, configDir: string): DockerClient {
  const env = { DOCKER_HOST: host, DOCKER_CONFIG: configDir, DOCKER_BUILDKIT: "1" };
  return { env, docker: (args, options = {}) => run(DOCKER_CLI, args, { ...options, env: { ...env, ...options.env } }) };
}

/** Runs docker and fails with its output on a non-zero exit. */
export async function dockerOk(client: DockerClient, args: readonly string[], options?: RunOptions): Promise<RunResult> {
  const r = await client.docker(args, options);
  if (r.code !== 0) throw new Error(`docker ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Same contract as Spark's /opt/entrypoint.sh for what the test runs; not Spark's script. */
export const STANDIN_ENTRYPOINT = `#!/bin/bash
# Stand-in for Spark's /opt/entrypoint.sh (test only).
set -eo pipefail
case "$1" in
  driver|executor)
    shift
    exec /usr/bin/tini -s -- "$JAVA_HOME/bin/java" "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
`;

export const STANDIN_DECOM = `#!/bin/bash
# Stand-in for Spark's /opt/decom.sh (test only).
echo "decommissioning"
`;

/** Prints what Spark's getGpusResources.sh prints on a node without GPUs. */
export const STANDIN_GPU_DISCOVERY = `#!/bin/bash
# Stand-in for Spark's getGpusResources.sh (test only).
echo '{"name": "gpu", "addresses": []}'
`;

/** The Debian mirror and release this machine's apt uses (deb822 `.sources` or one-line `.list`). */
export function hostDebianMirror(): { mirror: string; suite: string } {
  const suite = /^VERSION_CODENAME=(\S+)$/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1];
  if (!suite) throw new Error("no VERSION_CODENAME in /etc/os-release");
  const files = ["/etc/apt/sources.list", ...readdirSync("/etc/apt/sources.list.d").map((f) => join("/etc/apt/sources.list.d", f))];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const stanza of text.split(/\n\s*\n/)) {
      const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      const suites = /^Suites:\s*(.+)$/m.exec(stanza)?.[1].split(/\s+/) ?? [];
      if (uri && suites.includes(suite) && /^Types:.*\bdeb\b/m.test(stanza)) return { mirror: uri, suite };
    }
    const line = new RegExp(`^deb\\s+(?:\\[[^\\]]*\\]\\s+)?(\\S+)\\s+${suite}\\s`, "m").exec(text);
    if (line) return { mirror: line[1], suite };
  }
  throw new Error(`no apt source for ${suite} in /etc/apt/sources.list*`);
}

function writeTree(root: string, files: Record<string, string>, mode = 0o755): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content, { mode });
  }
}

export interface StandinImages {
  readonly sparkImage: string;
  readonly pytorchImage: string;
}

/**
 * Builds both stand-ins under the given references (which carry the official tags, so the schema
 * reads the same versions from them) from one cached debootstrap root filesystem, in `workDir`.
 */
export async function buildStandins(client: DockerClient, workDir: string, refs: StandinImages & { pythonPath: string }): Promise<void> {
  const { mirror, suite } = hostDebianMirror();
  const rootfs = await cachedRootfsTar(suite, mirror);
  console.log(`stand-in root filesystem: ${rootfs.built ? "built into" : "reused from"} ${rootfs.path}`);
  const rootfsImage = `standin/rootfs:${suite}`;
  await dockerOk(client, ["import", rootfs.path, rootfsImage]);

  const spark = join(workDir, "spark-context");
  writeTree(spark, {
    "opt/spark/bin/spark-submit": "#!/bin/sh\necho stand-in spark-submit\n",
    "opt/spark/sbin/start-master.sh": "#!/bin/sh\n",
    "opt/spark/jars/README": "stand-in: the real image holds Spark's jars here\n",
    "opt/spark/python/pyspark/__init__.py": "",
    "opt/spark/python/lib/README": "stand-in: the real image holds pyspark.zip and py4j here\n",
    "opt/spark/examples/src/main/scripts/getGpusResources.sh": STANDIN_GPU_DISCOVERY,
    "opt/spark/RELEASE": "stand-in\n",
    "opt/entrypoint.sh": STANDIN_ENTRYPOINT,
    "opt/decom.sh": STANDIN_DECOM,
  });
  mkdirSync(join(spark, "opt/spark/work-dir"));
  writeFileSync(
    join(spark, "Dockerfile"),
    `FROM ${rootfsImage}\nCOPY opt/ /opt/\nWORKDIR /opt/spark/work-dir\nENTRYPOINT ["/opt/entrypoint.sh"]\n`,
  );
  await dockerOk(client, ["build", "--network", "none", "-t", refs.sparkImage, spark]);

  const pytorch = join(workDir, "pytorch-context");
  mkdirSync(dirname(join(pytorch, "root", refs.pythonPath)), { recursive: true });
  symlinkSync("/usr/bin/python3", join(pytorch, "root", refs.pythonPath));
  writeFileSync(
    join(pytorch, "Dockerfile"),
    `FROM ${rootfsImage}\nCOPY root/ /\nENV PATH=${dirname(refs.pythonPath)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nWORKDIR /workspace\n`,
  );
  await dockerOk(client, ["build", "--network", "none", "-t", refs.pytorchImage, pytorch]);
}
