// `npm run bench`: how long the offline render takes against the floor, a bare node that only loads
// the three Pulumi SDKs the program needs. Cases: the dev and prod stacks and a generated large one
// (tools/large-stack.ts). Medians of several alternating rounds, printed as figures and ratios against the target
// of at most 2x the floor. A second floor (tools/sdk-floor.ts) registers as many static resources as the
// large render declares: what the SDK alone costs there. It prints; it never fails a build.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LARGE_APPLICATIONS, LARGE_NODES, writeLargeStack } from "./large-stack";
import { renderArgv, renderFlags } from "./render-argv";

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const TARGET = 2;
const ROOT = join(__dirname, "..", "..");

/** How many resources (custom ones) a render declares, from its summary line; undefined if it failed. */
function declaredResources(args: string[]): number | undefined {
  const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"], encoding: "utf8" });
  const count = /^Rendered stack "[^"]*": (\d+) resources in/m.exec(result.stdout)?.[1];
  return count === undefined ? undefined : Number(count);
}

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

interface Case {
  readonly name: string;
  readonly label: string;
  readonly args: string[];
}

/**
 * RUNS rounds after one warm-up round (which warms the file cache), each running every case once: on
 * a shared machine the load drifts, and alternating makes the drift weigh on the floor and the
 * renders alike. Prints each case's median, or why it failed; returns the medians by name.
 */
function measure(cases: readonly Case[]): Map<string, number> {
  const samples = new Map<Case, number[]>(cases.map((c) => [c, []]));
  const failed = new Map<Case, string>();
  for (let i = 0; i <= RUNS; i++) {
    for (const c of cases.filter((x) => !failed.has(x))) {
      const sample = timeMs(c.args);
      if (typeof sample === "string") failed.set(c, sample);
      else if (i > 0) samples.get(c)?.push(sample);
    }
  }
  const medians = new Map<string, number>();
  for (const c of cases) {
    const reason = failed.get(c);
    if (reason !== undefined) {
      console.log(`${c.label.padEnd(48)} failed: ${reason}`);
      continue;
    }
    const runs = samples.get(c) ?? [];
    const m = median(runs);
    medians.set(c.name, m);
    console.log(`${c.label.padEnd(48)} median ${m.toFixed(0).padStart(5)} ms  (runs: ${runs.map((s) => s.toFixed(0)).join(", ")})`);
  }
  return medians;
}

const work = mkdtempSync(join(tmpdir(), "spark-gpu-stack-bench-"));
try {
  // As `npm run render` runs it, with the node flags of its script.
  const render = (stack: string) => renderArgv(ROOT, [stack, "--out", join(work, "out")]);
  const floorArgs = ["-e", "require('@pulumi/pulumi'); require('@pulumi/kubernetes'); require('@pulumi/docker')"];
  const large = render(writeLargeStack(work));
  const largeResources = declaredResources(large);
  const sdkFloor: Case[] =
    largeResources === undefined
      ? []
      : [
          {
            name: "sdk",
            label: `SDK floor: registering ${largeResources} static ConfigMaps`,
            args: [...renderFlags(ROOT), join(ROOT, "bin", "tools", "sdk-floor.js"), String(largeResources)],
          },
        ];
  const medians = measure([
    { name: "floor", label: "floor: node loading the Pulumi SDKs", args: floorArgs },
    ...sdkFloor,
    { name: "dev", label: "render: dev stack", args: render("dev") },
    { name: "prod", label: "render: prod stack", args: render("prod") },
    { name: "large", label: `render: ${LARGE_NODES} nodes, ${LARGE_APPLICATIONS} GPU applications`, args: large },
  ]);
  const floor = medians.get("floor");
  if (floor !== undefined) {
    for (const [name, ms] of medians) {
      if (name === "floor" || name === "sdk") continue;
      const ratio = ms / floor;
      console.log(
        `ratio ${name.padEnd(6)} render/floor: ${ratio.toFixed(2)}x (target <= ${TARGET.toFixed(2)}x) ${ratio <= TARGET ? "OK" : "OVER TARGET"}`,
      );
    }
    const sdk = medians.get("sdk");
    const largeMs = medians.get("large");
    if (sdk !== undefined && largeMs !== undefined) {
      console.log(
        `SDK floor: loading the SDKs and registering the large render's ${largeResources} resources is ${(sdk / floor).toFixed(2)}x the floor; ` +
          `the large render's own work beyond that is ${(largeMs - sdk).toFixed(0)} ms (${((largeMs - sdk) / floor).toFixed(2)}x the floor)`,
      );
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
