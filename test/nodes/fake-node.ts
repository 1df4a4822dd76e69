// A node for the apply-script tests: a temporary root directory, stand-ins for systemctl and ctr
// that record their calls, and the shell and awk of one kind of node. Also reads a unit's
// drop-ins the way systemd does, and its EnvironmentFile the way the shell does (systemd.exec gives
// double-quoted values there the shell's escapes).
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { NVIDIA_RUNTIME_BINARY } from "../../components/nodes/render";
import { run, runOk, tempDir } from "../harness/daemons";

const FAKE_SYSTEMCTL = join(__dirname, "fake-systemctl.sh");
const FAKE_CTR = join(__dirname, "fake-ctr.sh");

/** The shells and awks real nodes have: Debian and Ubuntu, the RHEL family, busybox-based systems. */
export const VARIANTS = [
  { name: "dash + mawk", shell: ["/bin/sh"], awk: "/usr/bin/mawk" },
  { name: "bash + gawk", shell: ["/bin/bash", "--posix"], awk: "/usr/bin/gawk" },
  { name: "busybox sh + awk", shell: ["/bin/busybox", "sh"], awk: "/bin/busybox" },
] as const;

/** Runs "$@" once the reader of its standard output has closed the pipe; its status goes to $FAKE_DIR/exit-code. */
const DROPPED_READER = `
{ while [ ! -e "$FAKE_DIR/reader-gone" ]; do sleep 0.05; done; status=0; "$@" || status=$?; echo "$status" >"$FAKE_DIR/exit-code"; } |
	{ exec <&-; : >"$FAKE_DIR/reader-gone"; }`;

export type NodeVariant = (typeof VARIANTS)[number];

/** A node's root directory with its runtime running, and the stand-ins' records. */
export class FakeNode {
  readonly root = tempDir("node-root");
  readonly fake = tempDir("node-fake");
  private readonly bin = tempDir("node-bin");

  constructor(private readonly variant: NodeVariant = VARIANTS[0]) {
    symlinkSync(variant.awk, join(this.bin, "awk"));
    writeFileSync(join(this.fake, "active-docker"), "");
    writeFileSync(join(this.fake, "active-containerd"), "");
    // A GPU node, as the tests' nodes are: the NVIDIA Container Toolkit's runtime is installed.
    this.write(NVIDIA_RUNTIME_BINARY, "#!/bin/sh\n");
    chmodSync(this.path(NVIDIA_RUNTIME_BINARY), 0o755);
  }

  path(path: string): string {
    return join(this.root, path);
  }

  write(path: string, content: string): void {
    mkdirSync(dirname(this.path(path)), { recursive: true });
    writeFileSync(this.path(path), content);
  }

  read(path: string): string {
    return readFileSync(this.path(path), "utf8");
  }

  /**
   * Runs the script as ssh and the DaemonSet do: on standard input. `stdoutClosed`: its standard
   * output is a pipe whose reader is gone before it starts, as after a dropped ssh connection
   * (then `code` is the script's exit status, or 128 + the signal that killed it).
   */
  async apply(script: string, env: Record<string, string> = {}, { stdoutClosed = false } = {}) {
    for (const record of ["calls", "reader-gone"]) rmSync(join(this.fake, record), { force: true });
    const [shell, ...args] = this.variant.shell;
    const command = stdoutClosed ? ["/bin/sh", "-c", DROPPED_READER, "sh", shell, ...args, "-s"] : [shell, ...args, "-s"];
    const result = await run(command[0], command.slice(1), {
      input: script,
      env: {
        SPARK_GPU_STACK_ROOT: this.root,
        SPARK_GPU_STACK_SYSTEMCTL: FAKE_SYSTEMCTL,
        SPARK_GPU_STACK_CTR: FAKE_CTR,
        FAKE_DIR: this.fake,
        PATH: `${this.bin}:${process.env.PATH}`,
        ...env,
      },
    });
    return stdoutClosed ? { ...result, code: Number(readFileSync(join(this.fake, "exit-code"), "utf8")) } : result;
  }

  /** The stand-ins' calls during the last run. */
  calls(): string[] {
    return existsSync(join(this.fake, "calls")) ? readFileSync(join(this.fake, "calls"), "utf8").trim().split("\n") : [];
  }

  restarts(): string[] {
    return this.calls().filter((c) => /^(restart|reload|daemon-reload)\b/.test(c));
  }

  /** The "NAME=value" variables the runtime's main process was last started with, from its /proc/<pid>/environ. */
  environment(unit: string): string[] {
    const pid = readFileSync(join(this.fake, `mainpid-${unit}`), "utf8").trim();
    return readFileSync(this.path(`/proc/${pid}/environ`), "utf8")
      .split("\0")
      .filter((v) => v !== "");
  }

  /** Makes the runtime's main process one started (by someone else) with `variables`. */
  startedWith(unit: string, variables: readonly string[]): void {
    const pid = "999";
    this.write(`/proc/${pid}/environ`, variables.map((v) => `${v}\0`).join(""));
    writeFileSync(join(this.fake, `mainpid-${unit}`), `${pid}\n`);
  }
}

/** The variables of an EnvironmentFile, read by sh (`set -a; . file`), which unquotes as systemd does. */
export async function environmentFileValues(path: string): Promise<Record<string, string>> {
  const names = [...readFileSync(path, "utf8").matchAll(/^([A-Za-z_][A-Za-z0-9_]*)=/gm)].map((m) => m[1]);
  const { stdout } = await runOk("env", ["-i", "/bin/sh", "-c", 'set -a && . "$1" && exec env -0', "sh", path]);
  const all = Object.fromEntries(
    stdout
      .split("\0")
      .filter((v) => v.includes("="))
      .map((v) => [v.slice(0, v.indexOf("=")), v.slice(v.indexOf("=") + 1)]),
  );
  return Object.fromEntries(names.map((name) => [name, all[name]]));
}

/**
 * The Environment= assignments and EnvironmentFile= paths of a unit as systemd parses it, from
 * `systemd-analyze verify`'s unit dump.
 */
export async function systemdEnvironment(
  unit: string,
  dropIn: string,
): Promise<{ environment: Record<string, string>; environmentFiles: string[]; log: string }> {
  const dir = tempDir("systemd-unit");
  writeFileSync(join(dir, `${unit}.service`), "[Unit]\nDescription=stand-in\n[Service]\nExecStart=/bin/true\n");
  mkdirSync(join(dir, `${unit}.service.d`));
  writeFileSync(join(dir, `${unit}.service.d`, "http-proxy.conf"), dropIn);
  // The debug level makes it dump the loaded unit (on stdout) and log problems (on stderr).
  const { stdout, stderr } = await runOk("systemd-analyze", ["verify", join(dir, `${unit}.service`)], {
    env: { SYSTEMD_LOG_LEVEL: "debug" },
  });
  const dump = stdout.slice(stdout.indexOf(`-> Unit ${unit}.service:`));
  const environment = Object.fromEntries([...dump.matchAll(/^\t\tEnvironment: ([^=]+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
  const environmentFiles = [...dump.matchAll(/^\t\tEnvironmentFile: (.*)$/gm)].map((m) => m[1]);
  return { environment, environmentFiles, log: stderr };
}
