// Real programs from Debian's packages, started as root on loopback in temp dirs for the
// integration tests (docs/ARCHITECTURE.md, "Real programs"). Every daemon is stopped by its PID.
import { spawn, type SpawnOptions } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { get as httpsGet } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

export interface RunOptions {
  readonly env?: Record<string, string | undefined>;
  readonly input?: string | Buffer;
  readonly cwd?: string;
}

/** Runs a command to completion; never throws on a non-zero exit (callers assert on `code`). */
export function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", reject);
    child.on("close", (code) =>
      resolvePromise({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), code: code ?? -1 }),
    );
    // A command that exits before reading its stdin (a refused start, say) closes the pipe: the
    // exit code is the result, the lost input is not an error.
    child.stdin.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") reject(error);
    });
    child.stdin.end(options.input ?? "");
  });
}

/** Like `run`, but a non-zero exit is an error carrying the command's output. */
export async function runOk(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await run(cmd, args, options);
  if (result.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolvePromise(address.port) : reject(new Error("no port"))));
    });
  });
}

const tempDirs: string[] = [];

/**
 * Removes every dir `tempDir` made: image builds and registries leave hundreds of MB. Runs after
 * each test file (test/harness/cleanup.ts), once its daemons are stopped, and when a script exits.
 */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // A busy mount point left by a crashed daemon: leave it rather than fail the run.
    }
  }
}
process.once("exit", removeTempDirs);

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sgs-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000, log?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${log ? `\n--- log ---\n${log()}` : ""}`);
}

export interface Daemon {
  readonly pid: number;
  /** Stops the daemon (SIGTERM, then SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
  /** Everything it printed so far. */
  log(): string;
}

export interface StartOptions {
  readonly env?: Record<string, string | undefined>;
  /** Replaces the inherited environment instead of extending it. */
  readonly cleanEnv?: boolean;
  readonly ready: () => Promise<boolean>;
  readonly timeoutMs?: number;
}

export async function startDaemon(name: string, cmd: string, args: readonly string[], options: StartOptions): Promise<Daemon> {
  const env = options.cleanEnv ? { PATH: process.env.PATH, ...options.env } : { ...process.env, ...options.env };
  const spawnOptions: SpawnOptions = { env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] };
  const child = spawn(cmd, args, spawnOptions);
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  let exited = false;
  const exit = new Promise<void>((r) =>
    child.on("exit", () => {
      exited = true;
      r();
    }),
  );
  const spawnError = new Promise<never>((_, reject) => child.on("error", reject));
  const daemon: Daemon = {
    pid: child.pid ?? -1,
    log: () => output,
    async stop() {
      if (exited) return;
      child.kill("SIGTERM");
      const killed = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exit;
      clearTimeout(killed);
    },
  };
  try {
    await Promise.race([
      spawnError,
      waitFor(
        `${name} to be ready`,
        async () => {
          if (exited) throw new Error(`${name} exited early:\n${output}`);
          return options.ready();
        },
        options.timeoutMs ?? 60_000,
        () => output,
      ),
    ]);
  } catch (error) {
    await daemon.stop();
    throw error;
  }
  return daemon;
}

async function httpAnswers(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await response.arrayBuffer();
  return response.status < 500;
}

/** Whether `GET /` over TLS answers, the chain checked against `ca` (a loopback address is not among the certificate's names). */
function httpsAnswers(host: string, port: string, ca: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const request = httpsGet({ host, port, path: "/", ca, checkServerIdentity: () => undefined, timeout: 2_000 }, (response) => {
      response.resume();
      resolve((response.statusCode ?? 500) < 500);
    });
    request.on("error", reject);
    request.on("timeout", () => request.destroy(new Error("timed out")));
  });
}

/**
 * Debian's distribution server (`docker-registry serve`), ready when `GET /` answers on http.addr
 * (over TLS with a certificate of `ca`, when config.yml has http.tls).
 */
export async function startRegistryServer(configYmlPath: string, ca?: string): Promise<Daemon> {
  const config = parseYaml(readFileSync(configYmlPath, "utf8")) as { http?: { addr?: string; tls?: unknown } };
  const addr = config.http?.addr ?? ":5000";
  const port = addr.slice(addr.lastIndexOf(":") + 1);
  // Asked where it listens: one address (127.0.0.2, say), else 127.0.0.1.
  const host = /^(|0\.0\.0\.0):/.test(addr) ? "127.0.0.1" : addr.slice(0, addr.lastIndexOf(":"));
  if (config.http?.tls && ca === undefined) throw new Error(`${configYmlPath} serves TLS: give the CA its certificate chains to`);
  return startDaemon("docker-registry", "docker-registry", ["serve", configYmlPath], {
    ready: () => (ca === undefined ? httpAnswers(`http://${host}:${port}/`) : httpsAnswers(host, port, ca)),
  });
}

export interface Dockerd extends Daemon {
  /** `unix://…` socket, for DOCKER_HOST. */
  readonly host: string;
  readonly dataRoot: string;
  docker(args: readonly string[], options?: RunOptions): Promise<RunResult>;
}

export interface DockerdOptions {
  /** Path of a daemon.json to start with (`--config-file`). */
  readonly configFile?: string;
  /** Environment of the daemon, e.g. the proxy variables a systemd drop-in would give it. */
  readonly env?: Record<string, string>;
}

/**
 * Debian's dockerd on its own socket, data root and exec root, with no bridge or iptables (no
 * network namespace games on a shared machine). Only flags a rendered daemon.json never sets are
 * passed, so a daemon.json that repeats a flag fails here as it would on a node.
 */
export async function startDockerd(options: DockerdOptions = {}): Promise<Dockerd> {
  const dir = tempDir("dockerd");
  const host = `unix://${join(dir, "docker.sock")}`;
  const dataRoot = join(dir, "data");
  const args = [
    "--data-root",
    dataRoot,
    "--exec-root",
    join(dir, "exec"),
    "--host",
    host,
    "--pidfile",
    join(dir, "docker.pid"),
    "--storage-driver",
    "vfs",
    "--iptables=false",
    "--ip6tables=false",
    "--bridge=none",
    ...(options.configFile ? ["--config-file", options.configFile] : ["--config-file", writeEmptyJson(dir)]),
  ];
  const docker = (dockerArgs: readonly string[], runOptions: RunOptions = {}) =>
    run("docker", dockerArgs, { ...runOptions, env: { DOCKER_HOST: host, DOCKER_CONFIG: join(dir, "client"), ...runOptions.env } });
  const daemon = await startDaemon("dockerd", "dockerd", args, {
    env: options.env,
    cleanEnv: true,
    ready: async () => (await docker(["version", "--format", "{{.Server.Version}}"])).code === 0,
    timeoutMs: 120_000,
  });
  return { ...daemon, host, dataRoot, docker };
}

function writeEmptyJson(dir: string): string {
  // An explicit empty config keeps a developer's /etc/docker/daemon.json out of the test.
  const path = join(dir, "daemon.json");
  writeFileSync(path, "{}\n");
  return path;
}

export interface Containerd extends Daemon {
  readonly address: string;
  ctr(args: readonly string[], options?: RunOptions): Promise<RunResult>;
}

/** Debian's containerd 1.6 with root, state and socket in a temp dir; CRI is off (no CNI here). */
export async function startContainerd(extraToml = ""): Promise<Containerd> {
  const dir = tempDir("containerd");
  const address = join(dir, "containerd.sock");
  const configPath = join(dir, "config.toml");
  writeFileSync(
    configPath,
    [
      "version = 2",
      `root = "${join(dir, "root")}"`,
      `state = "${join(dir, "state")}"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      "[grpc]",
      `  address = "${address}"`,
      "[ttrpc]",
      `  address = "${address}.ttrpc"`,
      "[debug]",
      `  address = "${address}.debug"`,
      extraToml,
    ].join("\n") + "\n",
  );
  const ctr = (ctrArgs: readonly string[], runOptions: RunOptions = {}) => run("ctr", ["--address", address, ...ctrArgs], runOptions);
  const daemon = await startDaemon("containerd", "containerd", ["--config", configPath], {
    ready: async () => (await ctr(["version"])).code === 0,
  });
  return { ...daemon, address, ctr };
}
