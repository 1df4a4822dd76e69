// The cache the image test keeps its stand-in root filesystem in: built once, reused, never left
// half-written under its final name.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../harness/daemons";
import { cacheDir, cachedFile } from "./rootfs-cache";

describe("cachedFile", () => {
  it("builds an absent entry once and hands the same file to the next run", async () => {
    const dir = join(tempDir("cache"), "spark-gpu-stack");
    let builds = 0;
    const build = async (path: string) => {
      builds++;
      writeFileSync(path, `build ${builds}`);
    };
    const first = await cachedFile(dir, "rootfs-x.tar", build);
    const second = await cachedFile(dir, "rootfs-x.tar", build);
    expect([first.built, second.built, builds]).toEqual([true, false, 1]);
    expect(second.path).toBe(first.path);
    expect(readFileSync(second.path, "utf8")).toBe("build 1");
    expect(readdirSync(dir)).toEqual(["rootfs-x.tar"]);
  });

  it("leaves nothing behind when a build fails, so the next run builds again", async () => {
    const dir = tempDir("cache");
    const failing = async (path: string) => {
      writeFileSync(path, "half a tar");
      throw new Error("debootstrap failed");
    };
    await expect(cachedFile(dir, "rootfs-x.tar", failing)).rejects.toThrow("debootstrap failed");
    expect(readdirSync(dir)).toEqual([]);
    const retried = await cachedFile(dir, "rootfs-x.tar", async (path) => writeFileSync(path, "whole"));
    expect(retried.built).toBe(true);
  });
});

it("lives in $XDG_CACHE_HOME/spark-gpu-stack, or ~/.cache/spark-gpu-stack without it", () => {
  expect(cacheDir({ XDG_CACHE_HOME: "/var/cache/ci" })).toBe("/var/cache/ci/spark-gpu-stack");
  expect(cacheDir({})).toBe(join(homedir(), ".cache", "spark-gpu-stack"));
});
