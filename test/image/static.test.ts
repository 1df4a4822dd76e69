// Static checks of images/spark-pytorch with a real Dockerfile parser: what the build relies on,
// before any daemon is involved. The real Python and shellcheck run in static.system.test.ts.
import { readFileSync } from "node:fs";
import { Arg, Copy, DockerfileParser, Env, From, type Instruction, type JSONInstruction, Label } from "dockerfile-ast";
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "../../components/config";
import { DOCKERFILE, IMAGE_PATHS, IMAGE_USER, renderBuildArgs } from "../../components/image/render";
import { pytorchImageFacts, sparkImageFacts } from "../../components/image/tags";

const text = readFileSync(DOCKERFILE, "utf8");
const dockerfile = DockerfileParser.parse(text);
const instructions = dockerfile.getInstructions();

/** Instructions grouped by stage, each stage starting at its FROM. */
const stages: Instruction[][] = instructions.reduce<Instruction[][]>((acc, instruction) => {
  if (instruction instanceof From) acc.push([instruction]);
  else if (acc.length > 0) acc[acc.length - 1].push(instruction);
  return acc;
}, []);
const runtime = stages[stages.length - 1];
const keyword = (i: Instruction) => i.getKeyword();
const argsOf = (i: Instruction) => i.getArgumentsContent() ?? "";
const flag = (i: Copy, name: string) =>
  i
    .getFlags()
    .find((f) => f.getName() === name)
    ?.getValue();

const defaults = (() => {
  const parsed = parseStackConfig({}, new Set());
  if (!("config" in parsed)) throw new Error(parsed.problems.join("\n"));
  return parsed.config.image;
})();

function argDefault(args: Arg[], name: string): string | null | undefined {
  return args
    .find((a) => a.getProperty()?.getName() === name)
    ?.getProperty()
    ?.getValue();
}

describe("Dockerfile", () => {
  it("has a Spark stage used as a file source and a final stage on the PyTorch image", () => {
    const froms = dockerfile.getFROMs();
    expect(froms.map((f) => [f.getImage(), f.getBuildStage()])).toEqual([
      ["${SPARK_IMAGE}", "spark"],
      ["${PYTORCH_IMAGE}", "runtime"],
    ]);
    const copiesFromSpark = runtime.filter((i): i is Copy => i instanceof Copy && flag(i, "from") === "spark");
    expect(copiesFromSpark.map(argsOf)).toEqual(["/opt/spark /opt/spark", "/opt/entrypoint.sh /opt/decom.sh /opt/"]);
    // Spark's files stay root's: the spark user cannot alter the distribution it runs.
    expect(copiesFromSpark.map((c) => flag(c, "chown"))).toEqual(["root:root", "root:root"]);
  });

  it("defaults both base images to the schema's pinned tags", () => {
    const initial = dockerfile.getInitialARGs();
    expect(argDefault(initial, "SPARK_IMAGE")).toBe(defaults.sparkImage);
    expect(argDefault(initial, "PYTORCH_IMAGE")).toBe(defaults.pytorchImage);
    for (const image of [defaults.sparkImage, defaults.pytorchImage]) expect(image).not.toMatch(/:latest$|^[^:]+$/);
    expect(sparkImageFacts(defaults.sparkImage)).toBeDefined();
    expect(pytorchImageFacts(defaults.pytorchImage)).toBeDefined();
  });

  it("declares every build arg the component passes, with the defaults the default config renders", () => {
    const declared = new Map(
      [...dockerfile.getInitialARGs(), ...runtime.filter((i): i is Arg => i instanceof Arg)].map((a) => [
        a.getProperty()!.getName(),
        a.getProperty()!.getValue(),
      ]),
    );
    const rendered = renderBuildArgs(defaults);
    const builderArgs = ["BUILDKIT_INLINE_CACHE"]; // read by BuildKit itself, not by the Dockerfile
    for (const [name, value] of Object.entries(rendered).filter(([n]) => !builderArgs.includes(n))) {
      expect(declared.has(name), `ARG ${name}`).toBe(true);
      // PYTORCH_IMAGE is redeclared without a value in the stage for its label; the initial ARG holds it.
      if (declared.get(name) !== null) expect(declared.get(name), `default of ARG ${name}`).toBe(value);
    }
  });

  it("declares nothing but JAVA_VERSION before its RUN steps, so other args do not invalidate the JRE layer", () => {
    const lastRun = runtime.map(keyword).lastIndexOf("RUN");
    const before = runtime
      .slice(0, lastRun)
      .filter((i): i is Arg => i instanceof Arg)
      .map((a) => a.getProperty()?.getName());
    expect(before).toEqual(["JAVA_VERSION"]);
  });

  it("never declares or sets a proxy or credential (the predefined proxy args must stay undeclared)", () => {
    const names = [
      ...dockerfile.getARGs().map((a) => a.getProperty()?.getName() ?? ""),
      ...dockerfile.getENVs().flatMap((e: Env) => e.getProperties().map((p) => p.getName())),
    ];
    expect(names.filter((n) => /proxy|password|passwd|secret|token|credential|user(name)?$/i.test(n))).toEqual([]);
    const values = dockerfile.getENVs().flatMap((e: Env) => e.getProperties().map((p) => p.getValue() ?? ""));
    expect(values.filter((v) => /:\/\/[^/\s]*@/.test(v))).toEqual([]);
  });

  it("installs a headless JRE of the Spark build's Java and the entrypoint's tools without recommends, dropping apt lists", () => {
    const install = runtime.find((i) => keyword(i) === "RUN" && argsOf(i).includes("apt-get install"));
    expect(install).toBeDefined();
    const script = argsOf(install!);
    expect(script).toContain("--no-install-recommends");
    for (const pkg of ['"openjdk-${JAVA_VERSION}-jre-headless"', "tini", "gosu", "libnss-wrapper", "procps"]) expect(script).toContain(pkg);
    expect(script).toContain("rm -rf /var/lib/apt/lists/*");
    expect(script).toMatch(/useradd [^;]*--uid=185/);
  });

  it("sets Spark's environment and points PySpark at the interpreter that has torch", () => {
    const env = Object.fromEntries(
      runtime.filter((i): i is Env => i instanceof Env).flatMap((e) => e.getProperties().map((p) => [p.getName(), p.getValue()])),
    );
    expect(env).toMatchObject({
      SPARK_HOME: IMAGE_PATHS.sparkHome,
      JAVA_HOME: "/opt/java/openjdk",
      PYSPARK_PYTHON: "${PYTHON}",
      PYSPARK_DRIVER_PYTHON: "${PYTHON}",
      PATH: "${SPARK_HOME}/bin:${JAVA_HOME}/bin:${PATH}",
    });
    expect(text).toContain(IMAGE_PATHS.gpuDiscoveryScript);
  });

  it("labels the image with its source and versions", () => {
    const labels = Object.fromEntries(
      runtime.filter((i): i is Label => i instanceof Label).flatMap((l) => l.getProperties().map((p) => [p.getName(), p.getValue()])),
    );
    expect(labels).toMatchObject({
      "org.opencontainers.image.source": expect.any(String),
      "org.opencontainers.image.base.name": "${PYTORCH_IMAGE}",
      "spark-gpu-stack.spark.version": "${SPARK_VERSION}",
      "spark-gpu-stack.torch.version": "${TORCH_VERSION}",
      "spark-gpu-stack.python.version": "${PYTHON_VERSION}",
    });
  });

  it("runs as uid 185 through Spark's entrypoint, and copies the app last", () => {
    const users = runtime.filter((i) => keyword(i) === "USER").map(argsOf);
    expect(users[users.length - 1]).toBe(String(IMAGE_USER.uid));
    const entrypoints = runtime.filter((i) => keyword(i) === "ENTRYPOINT") as JSONInstruction[];
    expect(entrypoints.map((e) => e.getJSONStrings().map((s) => s.getJSONValue()))).toEqual([["/opt/entrypoint.sh"]]);
    const last = runtime[runtime.length - 1];
    expect(keyword(last)).toBe("COPY");
    expect(argsOf(last)).toMatch(new RegExp(`^app/ ${IMAGE_PATHS.app}/$`));
    // Nothing that adds content comes after the app in any order the file could be edited into.
    const contentSteps = runtime.filter((i) => ["RUN", "COPY", "ADD"].includes(keyword(i)));
    expect(contentSteps[contentSteps.length - 1]).toBe(last);
  });
});
