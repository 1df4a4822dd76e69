// The registry's pure renderers on their own; the real programs that read their output (Apache's
// htpasswd verifier, shellcheck, sh running gc.sh) in render.system.test.ts, the real server in
// real-registry.system.test.ts.
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { renderHtpasswd, renderRegistryConfig, type RegistryConfigInput } from "../../components/registry/render";

const BASE: RegistryConfigInput = {
  rootDirectory: "/var/lib/registry",
  httpAddr: ":5000",
  httpSecret: "0123456789abcdef",
  deleteEnabled: true,
  readOnly: false,
  htpasswdPath: "/etc/docker/registry/htpasswd",
};
const SALT = Uint8Array.from({ length: 16 }, (_, i) => i * 7);

describe("renderRegistryConfig", () => {
  it("renders distribution's keys: storage, delete, http.addr/secret, htpasswd auth, storage health", () => {
    expect(parseYaml(renderRegistryConfig(BASE))).toEqual({
      version: 0.1,
      log: { level: "info", fields: { service: "registry" } },
      storage: {
        filesystem: { rootdirectory: "/var/lib/registry" },
        delete: { enabled: true },
        cache: { blobdescriptor: "inmemory" },
        maintenance: { readonly: { enabled: false } },
      },
      http: { addr: ":5000", secret: "0123456789abcdef", headers: { "X-Content-Type-Options": ["nosniff"] } },
      auth: { htpasswd: { realm: "registry", path: "/etc/docker/registry/htpasswd" } },
      health: { storagedriver: { enabled: true, interval: "10s", threshold: 3 } },
    });
  });

  it("differs in read-only mode only by storage.maintenance.readonly", () => {
    const readWrite = parseYaml(renderRegistryConfig(BASE));
    const readOnly = parseYaml(renderRegistryConfig({ ...BASE, readOnly: true }));
    expect(readOnly).toEqual({ ...readWrite, storage: { ...readWrite.storage, maintenance: { readonly: { enabled: true } } } });
  });

  it("renders a pull-through cache without auth, and TLS when given", () => {
    const mirror = parseYaml(
      renderRegistryConfig({
        ...BASE,
        htpasswdPath: undefined,
        proxyRemoteUrl: "https://registry-1.docker.io",
        tls: { certificate: "/certs/tls.crt", key: "/certs/tls.key" },
      }),
    );
    expect(mirror.auth).toBeUndefined();
    expect(mirror.proxy).toEqual({ remoteurl: "https://registry-1.docker.io" });
    expect(mirror.http.tls).toEqual({ certificate: "/certs/tls.crt", key: "/certs/tls.key" });
  });
});

describe("renderHtpasswd", () => {
  it("is deterministic for a given salt (no roll of the pod) and changes with the salt or the password", async () => {
    const line = await renderHtpasswd("admin", "pw", SALT);
    expect(line).toMatch(/^admin:\$2y\$10\$[./A-Za-z0-9]{53}\n$/);
    expect(await renderHtpasswd("admin", "pw", SALT)).toBe(line);
    expect(
      await renderHtpasswd(
        "admin",
        "pw",
        SALT.map((b) => b ^ 1),
      ),
    ).not.toBe(line);
    expect(await renderHtpasswd("admin", "pw2", SALT)).not.toBe(line);
  });

  it("refuses passwords bcrypt would silently truncate, without echoing them", async () => {
    const long = "x".repeat(73);
    await expect(renderHtpasswd("admin", long, SALT)).rejects.toThrow(/longer than bcrypt's 72 bytes/);
    await expect(renderHtpasswd("admin", long, SALT)).rejects.not.toThrow(new RegExp(long));
    await expect(renderHtpasswd("admin", "x".repeat(72), SALT)).resolves.toMatch(/^admin:/);
    await expect(renderHtpasswd("admin", "pw", SALT.subarray(0, 8))).rejects.toThrow(/16 bytes of salt/);
  });
});
