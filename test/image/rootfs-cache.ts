// The stand-ins' base root filesystem (debootstrap, plus the packages it installs), kept between
// runs: building it takes most of the image test's time, and it depends only on the inputs of its
// key. One tar per key in ${XDG_CACHE_HOME:-$HOME/.cache}/spark-gpu-stack/, outside the repository;
// deleting that directory costs the next run one debootstrap, nothing else.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { runOk, tempDir } from "../harness/daemons";

/** What debootstrap installs: Debian's minimal base and the Python the pytorch stand-in runs. */
export const ROOTFS_VARIANT = "minbase";
export const ROOTFS_PACKAGES = ["python3-minimal"] as const;

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "spark-gpu-stack");
}

/**
 * The file `name` in `dir`, made by `build(path)` when absent. `build` writes a temporary file
 * beside it that is renamed into place only once complete, so a failed or interrupted build, or
 * two runs at once, never leave a partial entry under the final name.
 */
export async function cachedFile(
  dir: string,
  name: string,
  build: (path: string) => Promise<void>,
): Promise<{ path: string; built: boolean }> {
  const path = join(dir, name);
  if (existsSync(path)) return { path, built: false };
  mkdirSync(dir, { recursive: true });
  const partial = `${path}.partial-${process.pid}`;
  try {
    await build(partial);
    renameSync(partial, path);
  } finally {
    rmSync(partial, { force: true });
  }
  return { path, built: true };
}

/**
 * A tar of the root filesystem for this Debian suite and mirror, keyed by everything that shapes
 * it: suite, mirror, variant, packages, architecture, the debootstrap version and this file.
 */
export async function cachedRootfsTar(suite: string, mirror: string): Promise<{ path: string; built: boolean }> {
  const debootstrap = (await runOk("debootstrap", ["--version"])).stdout.trim();
  const args = (target: string) => [`--variant=${ROOTFS_VARIANT}`, `--include=${ROOTFS_PACKAGES.join(",")}`, suite, target, mirror];
  const key = createHash("sha256")
    .update(JSON.stringify({ args: args("<target>"), arch: process.arch, debootstrap, builder: readFileSync(__filename, "utf8") }))
    .digest("hex")
    .slice(0, 16);
  return cachedFile(cacheDir(), `rootfs-${suite}-${key}.tar`, async (partial) => {
    // A directory debootstrap creates, so the image's / gets its 0755 (a mkdtemp dir is 0700).
    const rootfs = join(tempDir("rootfs"), "rootfs");
    await runOk("debootstrap", args(rootfs));
    await runOk("tar", ["-C", rootfs, "-cf", partial, "."]);
    rmSync(rootfs, { recursive: true, force: true });
  });
}
