import { defineConfig } from "vitest/config";

// Three projects (docs/ARCHITECTURE.md, "Tests"): `unit` needs no root, no daemon and no network;
// `system` runs the real programs (registry, dockerd, containerd, shells, the CLI); `image` builds
// the real image. `npm test` runs all three; `npm run test:unit` is the quick loop.
const shared = { setupFiles: ["test/harness/cleanup.ts"], pool: "forks" as const };

export default defineConfig({
  test: {
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
