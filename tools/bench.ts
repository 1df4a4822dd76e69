// `npm run bench`: how long the offline render takes against the floor, a bare node that only loads
// the three Pulumi SDKs the program needs. Cases: the dev and prod stacks and a generated large one
// (tools/large-stack.ts). Medians of several runs, printed as figures and ratios against the target
// of at most 2x the floor. It prints; it never fails a build.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LARGE_APPLICATIONS, LARGE_NODES, writeLargeStack } from "./large-stack";
import { renderArgv } from "./render-argv";

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const TARGET = 2;
const ROOT = join(__dirname, "..", "..");

/** Milliseconds one run took, or the reason it failed. */
function timeMs(args: string[]): number | string {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  return result.status === 0 ? elapsed : `exit ${result.status}: ${result.stderr.trim().split("\n")[0]}`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The median of RUNS runs after one warm-up, or undefined (and the reason printed) when a run fails. */
function measure(label: string, args: string[]): number | undefined {
  const samples: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const sample = timeMs(args);
    if (typeof sample === "string") {
      console.log(`${label.padEnd(48)} failed: ${sample}`);
      return undefined;
    }
    if (i > 0) samples.push(sample); // the first run warms the file cache
  }
  const m = median(samples);
  console.log(`${label.padEnd(48)} median ${m.toFixed(0).padStart(5)} ms  (runs: ${samples.map((s) => s.toFixed(0)).join(", ")})`);
  return m;
}

const work = mkdtempSync(join(tmpdir(), "spark-gpu-stack-bench-"));
try {
  const floor = measure("floor: node loading the Pulumi SDKs", [
    "-e",
    "require('@pulumi/pulumi'); require('@pulumi/kubernetes'); require('@pulumi/docker')",
  ]);
  // As `npm run render` runs it, with the node flags of its script.
  const render = (stack: string) => renderArgv(ROOT, [stack, "--out", join(work, "out")]);
  const cases: [string, number | undefined][] = [
    ["dev", measure("render: dev stack", render("dev"))],
    ["prod", measure("render: prod stack", render("prod"))],
    ["large", measure(`render: ${LARGE_NODES} nodes, ${LARGE_APPLICATIONS} GPU applications`, render(writeLargeStack(work)))],
  ];
  if (floor !== undefined) {
    for (const [name, ms] of cases) {
      if (ms === undefined) continue;
      const ratio = ms / floor;
      console.log(
        `ratio ${name.padEnd(6)} render/floor: ${ratio.toFixed(2)}x (target <= ${TARGET.toFixed(2)}x) ${ratio <= TARGET ? "OK" : "OVER TARGET"}`,
      );
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
