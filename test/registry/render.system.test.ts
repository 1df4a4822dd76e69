// The registry's renderers read back by the real programs: Apache's htpasswd verifies the bcrypt
// line, shellcheck checks gc.sh, and sh runs it against a kubectl stand-in.
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIG_DIR, READONLY_CONFIG_FILE, renderGcScript, renderHtpasswd } from "../../components/registry/render";
import { run, tempDir } from "../harness/daemons";

describe("renderHtpasswd", () => {
  it("renders a bcrypt line that Apache's htpasswd verifies, and only for the right password", async () => {
    const file = join(tempDir("htpasswd"), "htpasswd");
    writeFileSync(file, await renderHtpasswd("builder", "correct horse", randomBytes(16)));
    expect((await run("htpasswd", ["-vb", file, "builder", "correct horse"])).code).toBe(0);
    expect((await run("htpasswd", ["-vb", file, "builder", "wrong horse"])).code).not.toBe(0);
  });
});

describe("renderGcScript", () => {
  const input = { namespace: "registry", deployment: "registry", container: "registry", deleteUntagged: false, rolloutTimeoutSeconds: 300 };

  it("passes shellcheck", async () => {
    const dir = tempDir("gc-script");
    for (const [name, variant] of [
      ["plain.sh", input],
      ["untagged.sh", { ...input, deleteUntagged: true, namespace: "it's-quoted" }],
    ] as const) {
      writeFileSync(join(dir, name), renderGcScript(variant));
      const checked = await run("shellcheck", ["--shell=sh", join(dir, name)]);
      expect(checked.code, checked.stdout).toBe(0);
    }
  });

  it.each([
    ["mid-collection", "exec", ["patch deployment", "rollout status", "exec deployment/registry", "patch deployment", "rollout status"]],
    ["while switching to read-only", "rollout", ["patch deployment", "rollout status", "patch deployment", "rollout status"]],
  ])("when stopped %s, stops the kubectl call at once and switches back to read-write", async (_, hangOn, expectedCalls) => {
    const dir = tempDir("gc-stopped");
    writeFileSync(join(dir, "gc.sh"), renderGcScript(input));
    // kubectl stand-in: records its calls; the first `${hangOn}` hangs like a long collection or rollout.
    writeFileSync(
      join(dir, "kubectl"),
      `#!/bin/sh\necho "$3 $4" >>"${dir}/calls"\nif [ "$3" = ${hangOn} ] && [ ! -e "${dir}/hanging" ]; then echo $$ >"${dir}/hanging"; sleep 10; echo >"${dir}/finished"; fi\n`,
    );
    chmodSync(join(dir, "kubectl"), 0o755);
    const script = spawn("sh", [join(dir, "gc.sh")], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, stdio: "ignore" });
    const exited = new Promise<number | null>((resolveExit) => script.on("close", resolveExit));
    while (!existsSync(join(dir, "hanging"))) await new Promise((r) => setTimeout(r, 20));
    script.kill("SIGTERM");
    expect(await exited).toBe(143);
    expect(readFileSync(join(dir, "calls"), "utf8").trim().split("\n")).toEqual(expectedCalls);
    expect(existsSync(join(dir, "finished")), "the script waited for the hanging call to end").toBe(false);
    // Gone, or a zombie left to a PID 1 that does not reap: either way no longer running.
    const stat = `/proc/${readFileSync(join(dir, "hanging"), "utf8").trim()}/stat`;
    if (existsSync(stat)) expect(readFileSync(stat, "utf8").split(") ")[1][0]).toBe("Z");
  });

  it.each([
    [false, []],
    [true, ["--delete-untagged"]],
  ])("collects against the read-only config, with --delete-untagged only when asked (%s)", async (deleteUntagged, flags) => {
    const dir = tempDir("gc-collect");
    writeFileSync(join(dir, "gc.sh"), renderGcScript({ ...input, namespace: "it's-quoted", deleteUntagged }));
    // kubectl stand-in: records each call's arguments on one line, NUL-separated.
    writeFileSync(join(dir, "kubectl"), `#!/bin/sh\nprintf '%s\\0' "$@" >>"${dir}/calls"\necho >>"${dir}/calls"\n`);
    chmodSync(join(dir, "kubectl"), 0o755);
    expect((await run("sh", [join(dir, "gc.sh")], { env: { PATH: `${dir}:${process.env.PATH}` } })).code).toBe(0);
    const calls = readFileSync(join(dir, "calls"), "utf8")
      .trim()
      .split("\n")
      .map((line) => line.split("\0").slice(0, -1));
    expect(calls.find((argv) => argv.includes("exec"))).toEqual([
      "--namespace",
      "it's-quoted",
      "exec",
      "deployment/registry",
      "--container",
      "registry",
      "--",
      "registry",
      "garbage-collect",
      ...flags,
      `${CONFIG_DIR}/${READONLY_CONFIG_FILE}`,
    ]);
  });
});
