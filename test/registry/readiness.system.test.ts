// The registry's readiness, with Debian's distribution server running as the pod's user: on a volume
// it cannot write, `GET /` still answers 200 while every upload fails; the rendered probe says so.
import { chownSync, chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { WRITABLE_PROBE } from "../../components/registry/render-server";
import { type Daemon, freePort, run, startDaemon, tempDir, waitFor } from "../harness/daemons";

/** The registry image's user (REGISTRY_USER): the pod runs as it. */
const POD_USER = ["--reuid=1000", "--regid=1000", "--clear-groups"];

async function registryOn(dataDir: string): Promise<{ daemon: Daemon; url: string }> {
  const port = await freePort();
  const dir = tempDir("registry-readiness");
  chmodSync(dir, 0o755); // the pod's user reads its config here
  const config = join(dir, "config.yml");
  writeFileSync(
    config,
    ["version: 0.1", "storage:", "  filesystem:", `    rootdirectory: ${dataDir}`, "http:", `  addr: 127.0.0.1:${port}`].join("\n"),
  );
  chmodSync(config, 0o644);
  const url = `http://127.0.0.1:${port}`;
  const answers = async () => (await fetch(`${url}/`).catch(() => undefined))?.status === 200;
  const daemon = await startDaemon("docker-registry", "setpriv", [...POD_USER, "docker-registry", "serve", config], { ready: answers });
  return { daemon, url };
}

/** The probe exactly as rendered, with the data directory this test gives the server. */
const probe = (dataDir: string) => run("setpriv", [...POD_USER, ...WRITABLE_PROBE.slice(0, -1), dataDir]);

describe("registry readiness", () => {
  const daemons: Daemon[] = [];
  afterAll(async () => {
    for (const d of daemons) await d.stop();
  });

  it.each([
    ["a volume the pod's user owns", 1000, 202, 0],
    ["a volume only root may write", 0, 500, 1],
  ])(
    "on %s (owner uid %i): uploads answer %i and the probe exits %i, while GET / answers 200 either way",
    async (_, owner, uploadStatus, probeCode) => {
      const parent = tempDir("registry-readiness");
      chmodSync(parent, 0o755);
      const dataDir = join(parent, "data");
      mkdirSync(dataDir, { mode: 0o755 });
      chownSync(dataDir, owner, owner);
      const { daemon, url } = await registryOn(dataDir);
      daemons.push(daemon);
      await waitFor("GET /", async () => (await fetch(`${url}/`)).status === 200);
      expect((await fetch(`${url}/v2/probe/blobs/uploads/`, { method: "POST" })).status).toBe(uploadStatus);
      expect((await probe(dataDir)).code).toBe(probeCode);
    },
  );
});
