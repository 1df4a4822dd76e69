// The registry component's own files, as rendered under the mock runtime, served by Debian's
// registry: only the in-pod paths and (unless kept) the listen address change. HTTPS requests that trust only
// the component's CA.
import { writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { CONFIG_DIR, HTPASSWD_FILE, PULL_HTPASSWD_FILE } from "../../components/registry/render";
import type { MockRuntime } from "../../tools/mock-runtime";
import { freePort, startRegistryServer, tempDir, type Daemon } from "../harness/daemons";
import { secretData } from "./rendered-component";

export interface ServedFiles {
  readonly port: number;
  /** The CA of the component's TLS Secret, when it has one. */
  readonly ca?: string;
  /**
   * Starts Debian's registry on one of the config Secret's files, listening on every address, on
   * `port` unless given another; `"rendered"` keeps the file's own http.addr.
   */
  start(configFile: string, port?: number | "rendered"): Promise<Daemon>;
}

/** Writes the files of the `registry-config` Secret (and `registry-tls`), remapped into a temp dir. */
export async function serveComponentFiles(rt: MockRuntime, secret = "registry-config"): Promise<ServedFiles> {
  const files = secretData(rt, secret);
  const tlsFiles = rt.ofType("kubernetes:core/v1:Secret", "registry-tls").length > 0 ? secretData(rt, "registry-tls") : undefined;
  const dir = tempDir("registry-from-secret");
  const port = await freePort();
  for (const htpasswd of [HTPASSWD_FILE, PULL_HTPASSWD_FILE])
    if (files[htpasswd] !== undefined) writeFileSync(join(dir, htpasswd), files[htpasswd]);
  for (const [name, content] of Object.entries(tlsFiles ?? {})) writeFileSync(join(dir, name), content);
  const remapped = (configYml: string, listenPort: number | "rendered") => {
    const config = parseYaml(configYml);
    if (config.storage.filesystem.rootdirectory !== "/var/lib/registry") throw new Error("unexpected rootdirectory");
    config.storage.filesystem.rootdirectory = join(dir, "data");
    if (config.auth) {
      const file = config.auth.htpasswd.path.slice(CONFIG_DIR.length + 1);
      if (config.auth.htpasswd.path !== `${CONFIG_DIR}/${file}` || files[file] === undefined) throw new Error("unexpected htpasswd path");
      config.auth.htpasswd.path = join(dir, file);
    }
    if (config.http.tls) config.http.tls = { certificate: join(dir, "tls.crt"), key: join(dir, "tls.key") };
    if (listenPort !== "rendered") config.http.addr = `:${listenPort}`;
    // A pull-through cache is tested elsewhere (mirror.system.test.ts); here it must not reach out.
    delete config.proxy;
    return stringifyYaml(config);
  };
  return {
    port,
    ca: tlsFiles?.["ca.crt"],
    async start(configFile, listenPort = port) {
      const path = join(dir, configFile);
      writeFileSync(path, remapped(files[configFile], listenPort));
      return startRegistryServer(path, tlsFiles?.["ca.crt"]);
    },
  };
}

export interface HttpsOptions {
  /** The only CA trusted; absent: the system's roots. */
  readonly ca?: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** Connect here whatever the URL's host resolves to; the certificate is still checked for that host. */
  readonly connectTo?: string;
}

/** An HTTPS request; resolves with the status, or rejects on a TLS failure. */
export function httpsStatus(url: string, options: HttpsOptions = {}): Promise<number> {
  const { connectTo } = options;
  const lookup =
    connectTo === undefined
      ? undefined
      : (_host: string, lookupOptions: { all?: boolean }, callback: (...args: unknown[]) => void) =>
          lookupOptions.all ? callback(null, [{ address: connectTo, family: 4 }]) : callback(null, connectTo, 4);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method: options.method ?? "GET", headers: options.headers, ca: options.ca, lookup: lookup as never, timeout: 5_000 },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.end();
  });
}

export const basicAuth = (username: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`,
});
