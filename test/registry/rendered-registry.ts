// Debian's distribution server running on loopback from exactly what the registry component
// renders (config.yml, read-only config.yml, htpasswd), with the in-pod paths remapped into a temp
// dir. Other components' tests push and pull against it.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { registrySchema } from "../../components/registry/schema";
import { CONFIG_FILE, HTPASSWD_FILE, READONLY_CONFIG_FILE, renderHtpasswd, renderRegistryConfig } from "../../components/registry/render";
import { freePort, startRegistryServer, tempDir } from "../harness/daemons";

export interface RenderedRegistryFiles {
  /** Holds config.yml, config-readonly.yml, htpasswd and data/. */
  readonly dir: string;
  /** storage.filesystem.rootdirectory. */
  readonly dataDir: string;
  readonly configPath: string;
  readonly readOnlyConfigPath: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
}

export interface RenderedRegistryOptions {
  /** @default the schema's default user */
  readonly username?: string;
  /** @default a fresh random password */
  readonly password?: string;
}

/** Writes the rendered files for a registry on `127.0.0.1:<free port>`; starts nothing. */
export async function writeRenderedRegistry(options: RenderedRegistryOptions = {}): Promise<RenderedRegistryFiles> {
  const dir = tempDir("registry");
  const dataDir = join(dir, "data");
  mkdirSync(dataDir);
  const port = await freePort();
  const username = options.username ?? registrySchema.parse({}).username;
  const password = options.password ?? randomBytes(16).toString("hex");
  const htpasswdPath = join(dir, HTPASSWD_FILE);
  writeFileSync(htpasswdPath, await renderHtpasswd(username, password, randomBytes(16)));
  const common = {
    rootDirectory: dataDir,
    httpAddr: `127.0.0.1:${port}`,
    httpSecret: randomBytes(32).toString("hex"),
    deleteEnabled: true,
    htpasswdPath,
  };
  const configPath = join(dir, CONFIG_FILE);
  const readOnlyConfigPath = join(dir, READONLY_CONFIG_FILE);
  writeFileSync(configPath, renderRegistryConfig({ ...common, readOnly: false }));
  writeFileSync(readOnlyConfigPath, renderRegistryConfig({ ...common, readOnly: true }));
  return { dir, dataDir, configPath, readOnlyConfigPath, port, username, password };
}

export interface RenderedRegistry {
  /** `127.0.0.1:PORT`, plain HTTP. */
  readonly endpoint: string;
  readonly username: string;
  readonly password: string;
  stop(): Promise<void>;
}

/** Starts the real registry from the component's renderers, with htpasswd auth and delete enabled. */
export async function startRenderedRegistry(options: RenderedRegistryOptions = {}): Promise<RenderedRegistry> {
  const files = await writeRenderedRegistry(options);
  const server = await startRegistryServer(files.configPath);
  return { endpoint: `127.0.0.1:${files.port}`, username: files.username, password: files.password, stop: () => server.stop() };
}
