// The real build of images/spark-pytorch with Debian's dockerd and BuildKit, from the build args the
// component renders, through a credentialed proxy given only as Docker's predefined proxy args, then
// a real push to the registry the registry component renders.
//
// The public base images cannot be pulled here, so stand-ins replace them (see standins.ts): a
// Debian minbase root filesystem carrying the layout our Dockerfile copies from apache/spark
// (/opt/spark/..., the GPU discovery script, /opt/entrypoint.sh, /opt/decom.sh; placeholder jars and
// a stand-in entrypoint) and the same root filesystem with Python at the configured path in place
// of pytorch/pytorch (Debian's Python 3.11 without torch or CUDA). Everything the Dockerfile itself
// does runs for real: the JRE and Spark's entrypoint tools are installed by apt from the Debian
// mirror through the proxy, Spark's files are copied, the user and permissions are set, the app is
// copied last, and the result is pushed and addressed by digest.
import { randomBytes } from "node:crypto";
import { appendFileSync, cpSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStackConfig } from "../../components/config";
import {
  BUILD_CONTEXT,
  DOCKERFILE,
  IMAGE_PATHS,
  PLATFORM,
  imageName,
  renderBuildArgs,
  renderBuildProxy,
} from "../../components/image/render";
import { imageSchema, type ImageConfig } from "../../components/image/schema";
import { sparkImageFacts } from "../../components/image/tags";
import { run, runOk, startDockerd, tempDir, type Dockerd } from "../harness/daemons";
import { startRenderedRegistry, type RenderedRegistry } from "../registry/rendered-registry";
import { startAuthProxy, type AuthProxy } from "./auth-proxy";
import { DOCKER_CLI, buildStandins, dockerClient, dockerOk, type DockerClient } from "./standins";

// A proxy password with characters that must be percent-encoded in the proxy URL.
const proxyCredentials = { username: "builder", password: `p@ss:${randomBytes(12).toString("hex")}/%` };
const secretMarkers = [proxyCredentials.password, encodeURIComponent(proxyCredentials.password)];

let dockerd: Dockerd | undefined;
let registry: RenderedRegistry | undefined;
let proxy: AuthProxy | undefined;
const workDirs: string[] = [];
let client: DockerClient;
let image: ImageConfig;
let pushedName: string;
let buildArgs: Record<string, string>;

/** The schema's default tags, under a local name: the stand-ins carry the versions the real ones would. */
function standinOf(reference: string, name: string): string {
  return `standin/${name}:${reference.slice(reference.lastIndexOf(":") + 1)}`;
}

/**
 * The one `docker build` every case runs: host network (the proxy listens on loopback), the
 * component's platform, the given build args, and the context's own Dockerfile (ours by default).
 */
function buildImage(tag: string, args: Record<string, string>, context = BUILD_CONTEXT) {
  const buildArgs = Object.entries(args).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]);
  const dockerfile = join(context, relative(BUILD_CONTEXT, DOCKERFILE));
  return dockerOk(client, [
    "build",
    "--progress=plain",
    "--network",
    "host",
    "--platform",
    PLATFORM,
    "-f",
    dockerfile,
    "-t",
    tag,
    ...buildArgs,
    context,
  ]);
}

const javaVersion = () => sparkImageFacts(image.sparkImage)!.javaVersion;
const inImage = (command: readonly string[]) => client.docker(["run", "--rm", "--network", "none", pushedName, ...command]);

beforeAll(async () => {
  for (const tool of ["debootstrap", DOCKER_CLI, "skopeo", "dockerd"]) {
    const found = await run("bash", ["-c", `command -v "$1"`, "which", tool]);
    if (found.code !== 0) throw new Error(`${tool} is missing: install it (Debian packages debootstrap, docker.io, skopeo)`);
  }
  const defaults = imageSchema.parse({});
  proxy = await startAuthProxy(proxyCredentials.username, proxyCredentials.password);
  const parsed = parseStackConfig(
    {
      image: { sparkImage: standinOf(defaults.sparkImage, "spark"), pytorchImage: standinOf(defaults.pytorchImage, "pytorch") },
      proxy: { http: proxy.url },
    },
    new Set(["proxyUsername", "proxyPassword"]),
  );
  if (!("config" in parsed)) throw new Error(parsed.problems.join("\n"));
  image = parsed.config.image;
  buildArgs = renderBuildArgs(image, renderBuildProxy(parsed.config.proxy!, proxyCredentials));

  [dockerd, registry] = await Promise.all([startDockerd(), startRenderedRegistry()]);
  const clientDir = tempDir("docker-client");
  const work = tempDir("image-standins");
  workDirs.push(clientDir, work, dirname(dockerd.dataRoot));
  client = dockerClient(dockerd.host, clientDir);
  await buildStandins(client, work, { sparkImage: image.sparkImage, pytorchImage: image.pytorchImage, pythonPath: image.pythonPath });

  pushedName = imageName(registry.endpoint, image.repository, image.tag);
  await buildImage(pushedName, buildArgs);
});

afterAll(async () => {
  await Promise.all([dockerd?.stop(), registry?.stop(), proxy?.stop()]);
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

describe("real build of images/spark-pytorch (stand-in bases, real Dockerfile)", () => {
  it("reached the Debian mirror only through the proxy, with the credentials from the build args", () => {
    expect(proxy!.refused).toEqual([]);
    expect(proxy!.forwarded.length).toBeGreaterThan(0);
    expect(proxy!.forwarded.some((url) => url.includes(`openjdk-${javaVersion()}-jre-headless_`))).toBe(true);
  });

  it("is configured as one image for Spark driver and executors: uid 185, Spark's entrypoint, PySpark on the torch interpreter", async () => {
    const [config] = JSON.parse((await dockerOk(client, ["inspect", pushedName])).stdout);
    expect(config.Architecture).toBe("amd64");
    expect(config.Config.User).toBe("185");
    expect(config.Config.Entrypoint).toEqual(["/opt/entrypoint.sh"]);
    expect(config.Config.WorkingDir).toBe("/opt/spark/work-dir");
    expect(config.Config.Env).toEqual(
      expect.arrayContaining([
        `SPARK_HOME=${IMAGE_PATHS.sparkHome}`,
        "JAVA_HOME=/opt/java/openjdk",
        `PYSPARK_PYTHON=${image.pythonPath}`,
        `PYSPARK_DRIVER_PYTHON=${image.pythonPath}`,
      ]),
    );
    expect(config.Config.Labels).toMatchObject({
      "spark-gpu-stack.spark.version": sparkImageFacts(image.sparkImage)!.sparkVersion,
      "spark-gpu-stack.python.version": image.pythonVersion,
      "org.opencontainers.image.base.name": image.pytorchImage,
    });
  });

  it("runs as uid 185; java -version and the configured Python run; a plain command passes through the entrypoint", async () => {
    const id = await inImage(["id", "-u"]);
    expect(id.stdout.trim()).toBe("185");
    const java = await inImage(["java", "-version"]);
    expect(java.code).toBe(0);
    expect(java.stderr).toMatch(new RegExp(`openjdk version "${javaVersion()}\\.`));
    const python = await inImage([image.pythonPath, "--version"]);
    expect(python.stdout.trim()).toMatch(new RegExp(`^Python ${image.pythonVersion.replace(".", "\\.")}\\.\\d+$`));
    const echoed = await inImage(["echo", "passed through"]);
    expect(echoed.stdout).toBe("passed through\n");
    // Spark's real entrypoint starts executors as `$JAVA_HOME/bin/java` under /usr/bin/tini, as the stand-in does.
    const executor = await inImage(["executor", "-version"]);
    expect(executor.code).toBe(0);
    expect(executor.stderr).toMatch(new RegExp(`openjdk version "${javaVersion()}\\.`));
  });

  it("has what Spark's entrypoint and GPU scheduling use, a writable work-dir only, no apt lists", async () => {
    const script = [
      "set -e",
      "command -v gosu tini ps >/dev/null",
      "ls /usr/lib/*/libnss_wrapper.so >/dev/null",
      `test -x ${IMAGE_PATHS.gpuDiscoveryScript}`,
      `test -f ${IMAGE_PATHS.sampleJob}`,
      "test -x /opt/decom.sh",
      "touch /opt/spark/work-dir/probe",
      "if touch /opt/spark/jars/probe 2>/dev/null; then echo 'jars writable'; exit 1; fi",
    ].join("\n");
    const checked = await inImage(["bash", "-c", script]);
    expect(checked.stderr).toBe("");
    expect(checked.code).toBe(0);
    // As root, who alone may read apt's partial dirs: no package lists, archives or caches left behind.
    const leftovers = await client.docker([
      "run",
      "--rm",
      "--network",
      "none",
      "--user",
      "0",
      pushedName,
      "find",
      "/var/lib/apt/lists",
      "/var/cache/apt",
      "-type",
      "f",
      "(",
      "-name",
      "*.deb",
      "-o",
      "-name",
      "*.bin",
      "-o",
      "-name",
      "*_Packages*",
      ")",
    ]);
    expect(leftovers.code).toBe(0);
    expect(leftovers.stdout).toBe("");
  });

  it("keeps the proxy and its credentials out of history, config and every layer", async () => {
    const history = await dockerOk(client, ["history", "--no-trunc", "--format", "{{.CreatedBy}}", pushedName]);
    const inspect = await dockerOk(client, ["inspect", pushedName]);
    for (const text of [history.stdout, inspect.stdout]) {
      for (const marker of [...secretMarkers, proxy!.url.replace("http://", "")]) expect(text).not.toContain(marker);
    }
    // Every byte of every layer and of the config, as `docker save` exports them (uncompressed tars).
    const scan = async (needle: string) =>
      (
        await runOk("bash", ["-c", `"$1" save "$2" | grep -a -c -F -e "$3" || true`, "scan", DOCKER_CLI, pushedName, needle], {
          env: client.env,
        })
      ).stdout.trim();
    expect(await scan("batch_inference")).not.toBe("0"); // the scan does see layer contents
    for (const marker of secretMarkers) expect(await scan(marker)).toBe("0");
  });

  it("would show a proxy credential had the Dockerfile declared the proxy arg (the check above can fail)", async () => {
    const control = tempDir("declared-proxy");
    workDirs.push(control);
    appendFileSync(join(control, "Dockerfile"), `FROM ${image.pytorchImage}\nARG HTTP_PROXY\nRUN true\n`);
    await buildImage("control/declared-proxy:1", { HTTP_PROXY: buildArgs.HTTP_PROXY }, control);
    const history = await dockerOk(client, ["history", "--no-trunc", "--format", "{{.CreatedBy}}", "control/declared-proxy:1"]);
    expect(history.stdout).toContain(encodeURIComponent(proxyCredentials.password));
  });

  it("rebuilds only the app layer when the app changes", async () => {
    const edited = tempDir("edited-context");
    workDirs.push(edited);
    cpSync(BUILD_CONTEXT, edited, { recursive: true });
    appendFileSync(join(edited, IMAGE_PATHS.sampleJob.replace(`${IMAGE_PATHS.sparkHome}/`, "")), "\n# edited\n");
    const editedName = `${pushedName}-edited`;
    await buildImage(editedName, buildArgs, edited);
    const layers = async (name: string): Promise<string[]> =>
      JSON.parse((await dockerOk(client, ["inspect", "--format", "{{json .RootFS.Layers}}", name])).stdout);
    const [before, after] = [await layers(pushedName), await layers(editedName)];
    expect(after.length).toBe(before.length);
    expect(after.slice(0, -1)).toEqual(before.slice(0, -1));
    expect(after[after.length - 1]).not.toBe(before[before.length - 1]);
  });

  it("keeps the JRE layer when the Spark version changes: apt does not run again", async () => {
    const requestsBefore = proxy!.forwarded.length;
    const facts = sparkImageFacts(image.sparkImage)!;
    const nextPatch = facts.sparkVersion.replace(/\d+$/, (patch) => String(Number(patch) + 1));
    const nextSpark = image.sparkImage.replace(`:${facts.sparkVersion}-`, `:${nextPatch}-`);
    await dockerOk(client, ["tag", image.sparkImage, nextSpark]); // same stand-in content, next version's tag
    const args = renderBuildArgs(
      { ...image, sparkImage: nextSpark },
      renderBuildProxy({ http: proxy!.url, noProxy: [] }, proxyCredentials),
    );
    expect(args.SPARK_VERSION).toBe(nextPatch);
    await buildImage(`${pushedName}-next-spark`, args);
    expect(proxy!.forwarded.length).toBe(requestsBefore);
    const labels = JSON.parse(
      (await dockerOk(client, ["inspect", "--format", "{{json .Config.Labels}}", `${pushedName}-next-spark`])).stdout,
    );
    expect(labels["spark-gpu-stack.spark.version"]).toBe(nextPatch);
  });

  it("pushes to the rendered registry with its credentials; the registry serves the digest docker reported", async () => {
    await dockerOk(client, ["login", "--username", registry!.username, "--password-stdin", registry!.endpoint], {
      input: registry!.password,
    });
    const push = await dockerOk(client, ["push", pushedName]);
    const reported = /digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(push.stdout)?.[1];
    expect(reported).toBeDefined();

    // What the Pulumi provider reads back as repoDigest and the component hands out as imageRef.
    const repoDigests: string[] = JSON.parse((await dockerOk(client, ["inspect", "--format", "{{json .RepoDigests}}", pushedName])).stdout);
    const imageRef = `${registry!.endpoint}/${image.repository}@${reported}`;
    expect(repoDigests).toContain(imageRef);

    const creds = `${registry!.username}:${registry!.password}`;
    const byTag = await runOk("skopeo", ["inspect", "--tls-verify=false", "--creds", creds, `docker://${pushedName}`]);
    expect(JSON.parse(byTag.stdout).Digest).toBe(reported);
    const byDigest = await runOk("skopeo", ["inspect", "--tls-verify=false", "--creds", creds, "--config", `docker://${imageRef}`]);
    const pushedConfig = JSON.parse(byDigest.stdout);
    expect(pushedConfig.config.User).toBe("185");
    // BUILDKIT_INLINE_CACHE left cache metadata in the pushed config: the next build's cacheFrom can use it.
    const rawConfig = await runOk("skopeo", [
      "inspect",
      "--tls-verify=false",
      "--creds",
      creds,
      "--config",
      "--raw",
      `docker://${imageRef}`,
    ]);
    expect(Object.keys(JSON.parse(rawConfig.stdout))).toContain("moby.buildkit.cache.v0");

    const anonymous = await run("skopeo", ["inspect", "--tls-verify=false", "--no-creds", `docker://${imageRef}`]);
    expect(anonymous.code).not.toBe(0);
  });
});
