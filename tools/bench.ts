// `npm run bench`: how long the offline render of the dev stack takes against the floor, a bare
// node that only loads the three Pulumi SDKs the program needs. Medians of several runs, printed as
// figures and a ratio; the target is <= 1.5x. It prints, it never fails a build.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const ROOT = join(__dirname, "..", "..");

function timeMs(args: string[]): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} failed:\n${result.stderr}`);
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function measure(label: string, args: string[]): number {
  timeMs(args); // warm the file cache
  const samples = Array.from({ length: RUNS }, () => timeMs(args));
  const m = median(samples);
  console.log(`${label.padEnd(44)} median ${m.toFixed(0).padStart(5)} ms  (runs: ${samples.map((s) => s.toFixed(0)).join(", ")})`);
  return m;
}

const floor = measure("floor: node loading the Pulumi SDKs", [
  "-e",
  "require('@pulumi/pulumi'); require('@pulumi/kubernetes'); require('@pulumi/docker')",
]);
const out = mkdtempSync(join(tmpdir(), "spark-gpu-stack-bench-"));
const renderDev = measure("render of the dev stack (compiled JS)", [join("bin", "tools", "render.js"), "dev", "--out", out]);
const ratio = renderDev / floor;
console.log(`ratio render/floor: ${ratio.toFixed(2)}x (target <= 1.50x) ${ratio <= 1.5 ? "OK" : "OVER TARGET"}`);
