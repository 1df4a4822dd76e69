// The dev stack's registry (a loopback registry.host) as Debian's registry serves its rendered files
// at their rendered addresses: bound to 127.0.0.1 it answers there and on no other address of this
// machine (at 127.0.0.2, there only); with registry.listen all, on every address. Debian's dockerd, with no configuration at
// all, pushes and pulls over 127.0.0.1 in plain HTTP (moby trusts 127.0.0.0/8 as insecure).
import { request } from "node:http";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { CONFIG_FILE, PULL_CONFIG_FILE } from "../../components/registry/render";
import { resolve } from "../../tools/mock-runtime";
import { freePort, runOk, startDockerd, tempDir, type Daemon } from "../harness/daemons";
import { PASSWORD, renderRegistry, secretData } from "./rendered-component";
import { basicAuth, serveComponentFiles } from "./served-component";

const daemons: Daemon[] = [];
afterAll(async () => {
  for (const daemon of daemons.reverse()) await daemon.stop();
});

/** This machine's addresses other than 127.0.0.1: another loopback address, and the interfaces'. */
const otherAddresses = [
  "127.0.0.2",
  ...Object.values(networkInterfaces())
    .flat()
    .filter((a) => a?.family === "IPv4" && !a.internal)
    .map((a) => a!.address),
];

/** The status of `GET http://<address>:<port>/v2/`, or the connection's error code. */
function status(address: string, port: number, headers: Record<string, string> = {}): Promise<number | string> {
  return new Promise((done) => {
    const req = request({ host: address, port, path: "/v2/", headers, timeout: 5_000 }, (response) => {
      response.resume();
      done(response.statusCode ?? 0);
    });
    req.on("error", (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
    req.on("timeout", () => req.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })));
    req.end();
  });
}

/** Renders the registry at `host` (a loopback address) on free ports and serves its read-write and pull processes as rendered. */
async function serveLocal(listen: "loopback" | "all", host = "127.0.0.1") {
  const port = await freePort();
  const pullPort = await freePort();
  const { rt, component } = await renderRegistry({ registry: { host, port, pullPort, listen } }, { password: PASSWORD });
  const files = secretData(rt, "registry-config");
  const served = await serveComponentFiles(rt);
  for (const file of [CONFIG_FILE, PULL_CONFIG_FILE]) daemons.push(await served.start(file, "rendered"));
  return {
    port,
    pullPort,
    addrs: [CONFIG_FILE, PULL_CONFIG_FILE].map((file) => parseYaml(files[file]).http.addr),
    push: (await resolve(component.ref.pushCredentials)).value,
    pull: (await resolve(component.ref.credentials)).value,
    endpoints: { push: (await resolve(component.ref.pushEndpoint)).value, pull: (await resolve(component.ref.endpoint)).value },
  };
}

describe("the dev registry bound to loopback", async () => {
  const local = await serveLocal("loopback");

  it("listens at 127.0.0.1 on its ports: the push account on the read-write one, the pull account on the pull process", async () => {
    expect(local.addrs).toEqual([`127.0.0.1:${local.port}`, `127.0.0.1:${local.pullPort}`]);
    expect(await status("127.0.0.1", local.port)).toBe(401);
    expect(await status("127.0.0.1", local.port, basicAuth(local.push.username, local.push.password))).toBe(200);
    expect(await status("127.0.0.1", local.pullPort, basicAuth(local.pull.username, local.pull.password))).toBe(200);
  });

  it("is refused on every other address of the machine", async () => {
    expect(otherAddresses.length).toBeGreaterThan(1);
    for (const address of otherAddresses) {
      for (const port of [local.port, local.pullPort]) expect(await status(address, port), `${address}:${port}`).toBe("ECONNREFUSED");
    }
  });

  it("takes a push from Debian's dockerd, configured with nothing, and gives the image back to the pull account", async () => {
    expect(local.endpoints).toEqual({ push: `127.0.0.1:${local.port}`, pull: `127.0.0.1:${local.pullPort}` });
    const dockerd = await startDockerd();
    daemons.push(dockerd);
    const dir = tempDir("local-image");
    await runOk("sh", [
      "-c",
      'echo "hello from the dev registry" > "$1/hello.txt" && tar -C "$1" -cf "$1/hello.tar" hello.txt',
      "image",
      dir,
    ]);
    const pushed = `${local.endpoints.push}/spark-gpu-stack/local-hello:1.0`;
    const pulled = `${local.endpoints.pull}/spark-gpu-stack/local-hello:1.0`;
    const docker = async (args: string[], input?: string) => {
      const result = await dockerd.docker(args, { input });
      expect(result.code, `docker ${args.join(" ")}: ${result.stderr}`).toBe(0);
      return result;
    };
    await docker(["import", join(dir, "hello.tar"), pushed]);
    await docker(["login", local.endpoints.push, "--username", local.push.username, "--password-stdin"], local.push.password);
    await docker(["push", pushed]);
    await docker(["login", local.endpoints.pull, "--username", local.pull.username, "--password-stdin"], local.pull.password);
    await docker(["pull", pulled]);
    expect((await docker(["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"])).stdout).toContain(pulled);
    // The pull process refuses writes whatever the login.
    await docker(["tag", pushed, `${local.endpoints.pull}/spark-gpu-stack/local-hello:2.0`]);
    const refused = await dockerd.docker(["push", `${local.endpoints.pull}/spark-gpu-stack/local-hello:2.0`]);
    expect(refused.code).not.toBe(0);
  }, 180_000);
});

describe("the dev registry with registry.listen all (a kind node)", async () => {
  const local = await serveLocal("all");

  it("listens on every address of its node", async () => {
    expect(local.addrs).toEqual([`0.0.0.0:${local.port}`, `0.0.0.0:${local.pullPort}`]);
    for (const address of ["127.0.0.1", ...otherAddresses]) {
      for (const port of [local.port, local.pullPort]) expect(await status(address, port), `${address}:${port}`).toBe(401);
    }
  });
});

describe("the dev registry at another loopback address", async () => {
  const local = await serveLocal("loopback", "127.0.0.2");

  it("listens at that address, where its endpoints point, and not at 127.0.0.1", async () => {
    expect(local.endpoints).toEqual({ push: `127.0.0.2:${local.port}`, pull: `127.0.0.2:${local.pullPort}` });
    expect(await status("127.0.0.2", local.port, basicAuth(local.push.username, local.push.password))).toBe(200);
    expect(await status("127.0.0.2", local.pullPort, basicAuth(local.pull.username, local.pull.password))).toBe(200);
    expect(await status("127.0.0.1", local.port)).toBe("ECONNREFUSED");
  });
});
