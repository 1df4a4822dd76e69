// Debian's registry serving the files of PrivateRegistry's config and TLS Secrets, as rendered under
// the mock runtime: TLS with the component's CA, the component's password logs in, the read-only
// config refuses uploads.
import { describe, expect, it } from "vitest";
import { CONFIG_FILE, READONLY_CONFIG_FILE } from "../../components/registry/render";
import { resolve } from "../../tools/mock-runtime";
import { PASSWORD, PROD, renderRegistry } from "./rendered-component";
import { basicAuth, httpsStatus, serveComponentFiles } from "./served-component";

describe("PrivateRegistry (prod-like) in Debian's registry", async () => {
  const { rt, component } = await renderRegistry(PROD, { password: PASSWORD, proxy: true, tlsValidFrom: new Date(Date.now() - 3_600_000) });

  it("has Secrets whose files Debian's registry serves over TLS: the push account logs in, read-only refuses uploads", async () => {
    const served = await serveComponentFiles(rt);
    const { value: credentials } = await resolve(component.ref.pushCredentials);
    const login = basicAuth(credentials.username, credentials.password);
    // By the node name the certificate carries, connected on loopback: the whole chain and name are checked.
    const base = `https://${PROD.registry.node}:${served.port}/v2`;
    const status = (path: string, options: { method?: string; headers?: Record<string, string> } = {}) =>
      httpsStatus(`${base}${path}`, { ...options, ca: served.ca, connectTo: "127.0.0.1" });
    for (const file of [CONFIG_FILE, READONLY_CONFIG_FILE]) {
      const server = await served.start(file);
      try {
        expect(await status("/")).toBe(401);
        expect(await status("/", { headers: basicAuth(credentials.username, "wrong") })).toBe(401);
        expect(await status("/", { headers: login })).toBe(200);
        expect(await status("/spark/blobs/uploads/", { method: "POST", headers: login }), file).toBe(file === CONFIG_FILE ? 202 : 405);
      } finally {
        await server.stop();
      }
    }
  });
});
