// Debian's registry serving the files of PrivateRegistry's config Secret, as rendered under the mock
// runtime: the component's password logs in, the read-only config refuses uploads.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { CONFIG_DIR, CONFIG_FILE, HTPASSWD_FILE, READONLY_CONFIG_FILE } from "../../components/registry/render";
import { resolve } from "../../tools/mock-runtime";
import { freePort, startRegistryServer, tempDir } from "../harness/daemons";
import { PASSWORD, PROD, renderRegistry, secretData } from "./rendered-component";

describe("PrivateRegistry (prod-like) in Debian's registry", async () => {
  const { rt, component } = await renderRegistry(PROD, { password: PASSWORD, proxy: true });

  it("has a Secret whose files Debian's registry serves: the component's password logs in, read-only refuses uploads", async () => {
    const files = secretData(rt, "registry-config");
    const dir = tempDir("registry-from-secret");
    const port = await freePort();
    writeFileSync(join(dir, HTPASSWD_FILE), files[HTPASSWD_FILE]);
    // Only the in-pod paths and the listen address change; every other key is the component's.
    const remapped = (configYml: string) => {
      const config = parseYaml(configYml);
      expect(config.storage.filesystem.rootdirectory).toBe("/var/lib/registry");
      expect(config.auth.htpasswd.path).toBe(`${CONFIG_DIR}/${HTPASSWD_FILE}`);
      config.storage.filesystem.rootdirectory = join(dir, "data");
      config.auth.htpasswd.path = join(dir, HTPASSWD_FILE);
      config.http.addr = `127.0.0.1:${port}`;
      return stringifyYaml(config);
    };
    const { value: credentials } = await resolve(component.ref.credentials);
    const login = { authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}` };
    const base = `http://127.0.0.1:${port}/v2`;
    for (const file of [CONFIG_FILE, READONLY_CONFIG_FILE]) {
      writeFileSync(join(dir, file), remapped(files[file]));
      const server = await startRegistryServer(join(dir, file));
      try {
        expect((await fetch(`${base}/`)).status).toBe(401);
        expect(
          (
            await fetch(`${base}/`, {
              headers: { authorization: `Basic ${Buffer.from(`${credentials.username}:wrong`).toString("base64")}` },
            })
          ).status,
        ).toBe(401);
        expect((await fetch(`${base}/`, { headers: login })).status).toBe(200);
        const upload = await fetch(`${base}/spark/blobs/uploads/`, { method: "POST", headers: login });
        expect(upload.status, file).toBe(file === CONFIG_FILE ? 202 : 405);
      } finally {
        await server.stop();
      }
    }
  });
});
