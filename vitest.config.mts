import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/harness/cleanup.ts"],
    // Real-tool tests start daemons and build images: generous per-test limits, one file per fork.
    testTimeout: 300_000,
    hookTimeout: 600_000,
    pool: "forks",
    fileParallelism: true,
  },
});
