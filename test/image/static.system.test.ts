// The image's sample app compiled by the real Python, and the build test's stand-in scripts
// checked by shellcheck.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IMAGE_PATHS } from "../../components/image/render";
import { run, runOk, tempDir } from "../harness/daemons";
import { STANDIN_DECOM, STANDIN_ENTRYPOINT, STANDIN_GPU_DISCOVERY } from "./standins";

describe("sample app", () => {
  it("compiles with the real Python", async () => {
    const cacheDir = tempDir("pycache");
    await runOk("python3", ["-m", "py_compile", join("images/spark-pytorch", IMAGE_PATHS.sampleJob.replace("/opt/spark/", ""))], {
      env: { PYTHONPYCACHEPREFIX: cacheDir },
    });
  });
});

describe("shell scripts", () => {
  // The image ships no shell script of its own; the build test's stand-ins are the ones we write.
  it("stand-in scripts pass shellcheck", async () => {
    for (const script of [STANDIN_ENTRYPOINT, STANDIN_DECOM, STANDIN_GPU_DISCOVERY]) {
      const checked = await run("shellcheck", ["-"], { input: script });
      expect(checked.stdout + checked.stderr).toBe("");
      expect(checked.code).toBe(0);
    }
  });
});
