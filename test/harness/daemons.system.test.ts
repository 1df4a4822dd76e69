// The harness itself against the real programs: if these fail, every integration test would.
import { afterAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, run, startContainerd, startDockerd, startRegistryServer, tempDir, type Daemon } from "./daemons";

const started: Daemon[] = [];
afterAll(async () => {
  await Promise.all(started.map((d) => d.stop()));
});

describe("run", () => {
  it("reports the exit code of a command that exits before reading its input", async () => {
    // In a process of its own (the compiled harness), where an unhandled EPIPE would end it:
    // 8 MiB cannot fit in a pipe, so the write fails once `sh` has gone.
    const harness = join(__dirname, "..", "..", "bin", "test", "harness", "daemons.js");
    const program = `require(${JSON.stringify(harness)}).run("sh", ["-c", "exit 3"], { input: Buffer.alloc(8 << 20, "x") }).then((r) => process.exit(r.code === 3 ? 0 : 2));`;
    const result = await run(process.execPath, ["-e", program]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });
});

describe("real daemons", () => {
  it("starts and stops Debian's registry, dockerd and containerd", async () => {
    const dir = tempDir("harness");
    const port = await freePort();
    const config = join(dir, "config.yml");
    writeFileSync(config, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`);
    const registry = await startRegistryServer(config);
    started.push(registry);
    expect((await fetch(`http://127.0.0.1:${port}/v2/`)).status).toBe(200);

    const dockerd = await startDockerd();
    started.push(dockerd);
    expect((await dockerd.docker(["info", "--format", "{{.Driver}}"])).stdout.trim()).toBe("vfs");

    const containerd = await startContainerd();
    started.push(containerd);
    expect((await containerd.ctr(["version"])).code).toBe(0);

    await registry.stop();
    await expect(fetch(`http://127.0.0.1:${port}/v2/`)).rejects.toThrow();
  });
});
