// The whole program on the dev stack under the mock runtime: the image's digest-pinned reference is
// what the Spark workload receives; the tag-form name is used by nothing but the build itself.
import { beforeAll, describe, expect, it } from "vitest";
import type * as Program from "../../index";
import { plain, resolve, startMockRuntime } from "../../tools/mock-runtime";
import { readStackFile } from "../../tools/render";
import { IMAGE_PATHS } from "../../components/image/render";

const stack = readStackFile("dev");
// The dev stack running the image's own sample job.
const spark = {
  applications: [
    { name: "batch-inference", mainFile: `local://${IMAGE_PATHS.sampleJob}`, arguments: ["--output", "/tmp/batch-inference"] },
  ],
};
const rt = startMockRuntime({ stack: stack.stack, config: { ...stack.config, spark }, secretKeys: stack.secretKeys });
let program: typeof Program;
beforeAll(async () => {
  program = await import("../../index.js");
});

describe("image reference in the program", () => {
  it("reaches the workload as the digest, never as the tag", async () => {
    await rt.settle();
    const imageRef: string = (await resolve(program.imageRef)).value;
    await rt.settle();
    expect(imageRef).toMatch(/@sha256:[0-9a-f]{64}$/);
    const built = rt.one("docker:index/image:Image");
    const taggedName = plain(built.wire).imageName as string;
    const others = rt.resources
      .filter((r) => r !== built && r.custom)
      .map((r) => ({ name: `${r.type}::${r.name}`, text: JSON.stringify(plain(r.wire)) }));
    expect(others.filter((r) => r.text.includes(imageRef)).map((r) => r.name)).not.toEqual([]);
    expect(others.filter((r) => r.text.includes(taggedName)).map((r) => r.name)).toEqual([]);
  });
});
