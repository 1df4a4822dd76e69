// Pull accounts cannot push: Debian's registry runs the component's read-write and pull files on one
// storage, as the registry pod's two containers do. The push account pushes to the read-write
// process; the pull account pulls from the read-only one, and every write it tries is refused.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_FILE, PULL_CONFIG_FILE } from "../../components/registry/render";
import type { RegistryCredentials } from "../../components/refs";
import { resolve } from "../../tools/mock-runtime";
import { freePort, run, runOk, tempDir, type Daemon } from "../harness/daemons";
import { PASSWORD, renderRegistry } from "./rendered-component";
import { serveComponentFiles } from "./served-component";

const IMAGE = "spark-gpu-stack/pull-account:1.0";
const daemons: Daemon[] = [];
let push: RegistryCredentials;
let pull: RegistryCredentials;
let pushEndpoint: string;
let pullEndpoint: string;
let layout: string;

beforeAll(async () => {
  // On loopback the component renders plain HTTP (TLS is tested in tls.system.test.ts).
  const { rt, component } = await renderRegistry({}, { password: PASSWORD });
  push = (await resolve(component.ref.pushCredentials)).value;
  pull = (await resolve(component.ref.credentials)).value;
  const served = await serveComponentFiles(rt);
  const pullPort = await freePort();
  daemons.push(await served.start(CONFIG_FILE), await served.start(PULL_CONFIG_FILE, pullPort));
  pushEndpoint = `127.0.0.1:${served.port}`;
  pullEndpoint = `127.0.0.1:${pullPort}`;
  const dir = tempDir("pull-account");
  writeFileSync(join(dir, "hello.txt"), "pushed by the builder\n");
  layout = join(dir, "layout");
  await runOk("umoci", ["init", "--layout", layout]);
  await runOk("umoci", ["new", "--image", `${layout}:1.0`]);
  await runOk("umoci", ["insert", "--image", `${layout}:1.0`, join(dir, "hello.txt"), "/hello.txt"]);
});

afterAll(async () => {
  for (const daemon of daemons.reverse()) await daemon.stop();
});

describe("the pull account", () => {
  it("cannot push to either process, while the push account pushes and the pull account pulls the result", async () => {
    const tlsOff = (direction: "src" | "dest") => [`--${direction}-tls-verify=false`];
    const skopeo = (args: string[]) => run("skopeo", args);
    const source = `oci:${layout}:1.0`;
    const credentials = (c: RegistryCredentials) => `${c.username}:${c.password}`;

    const refusedReadWrite = await skopeo([
      "copy",
      ...tlsOff("dest"),
      "--dest-creds",
      credentials(pull),
      source,
      `docker://${pushEndpoint}/${IMAGE}`,
    ]);
    expect(refusedReadWrite.code).not.toBe(0);
    expect(refusedReadWrite.stderr).toMatch(/unauthorized|authentication required/i);

    const refusedReadOnly = await skopeo([
      "copy",
      ...tlsOff("dest"),
      "--dest-creds",
      credentials(pull),
      source,
      `docker://${pullEndpoint}/${IMAGE}`,
    ]);
    expect(refusedReadOnly.code).not.toBe(0);
    expect(refusedReadOnly.stderr).toMatch(/read-only|405|unsupported|not allowed/i);

    const pushed = await skopeo([
      "copy",
      ...tlsOff("dest"),
      "--dest-creds",
      credentials(push),
      source,
      `docker://${pushEndpoint}/${IMAGE}`,
    ]);
    expect(pushed.code, pushed.stderr).toBe(0);
    const pulledOut = join(tempDir("pulled"), "layout");
    const pulled = await skopeo([
      "copy",
      ...tlsOff("src"),
      "--src-creds",
      credentials(pull),
      `docker://${pullEndpoint}/${IMAGE}`,
      `oci:${pulledOut}:1.0`,
    ]);
    expect(pulled.code, pulled.stderr).toBe(0);
    const pushOnPull = await skopeo(["inspect", "--tls-verify=false", "--creds", credentials(push), `docker://${pullEndpoint}/${IMAGE}`]);
    // Nor does the push account get into the pull process: its htpasswd knows only the pull account.
    expect(pushOnPull.code).not.toBe(0);
    expect(pushOnPull.stderr).toMatch(/unauthorized|authentication required/i);
  });
});
