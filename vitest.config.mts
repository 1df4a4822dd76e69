import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// Three projects (docs/ARCHITECTURE.md, "Tests"): `unit` needs no root, no daemon and no network;
// `system` runs the real programs (registry, dockerd, containerd, shells, the CLI); `image` builds
// the real image. `npm test` runs all three; `npm run test:unit` is the quick loop.
const shared = { setupFiles: ["test/harness/cleanup.ts"], pool: "forks" as const };

export default defineConfig({
  test: {
    // vitest's default, one worker fewer than the cores, is a single worker on a 2-core machine: the
    // image build, mostly waiting on its own processes, would hold every other file back. At least two.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        test: {
          ...shared,
          name: "unit",
          // Files share a worker, so the Pulumi SDK loads once per worker instead of once per file;
          // each mock-runtime file starts its own runtime (docs/ARCHITECTURE.md, "Tests").
          isolate: false,
          include: ["test/**/*.test.ts"],
          exclude: ["test/**/*.system.test.ts", "test/**/*.image.test.ts"],
        },
      },
      {
        // Real programs start daemons: generous per-test limits, one file per fork.
        test: { ...shared, name: "system", include: ["test/**/*.system.test.ts"], testTimeout: 300_000, hookTimeout: 600_000 },
      },
      {
        test: { ...shared, name: "image", include: ["test/**/*.image.test.ts"], testTimeout: 600_000, hookTimeout: 1_200_000 },
      },
    ],
  },
});
