import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Integration tests talk to a real Redis and to real HTTP servers on loopback;
    // they wait on state with timeouts, so give them room on a 2-core machine.
    testTimeout: 30_000,
    // Most integration files spend their time waiting on Redis, HTTP and child processes,
    // not on the CPU: three at a time on a 2-core machine (vitest's default there is one)
    // cuts the suite's wall time by more than half.
    maxWorkers: 3,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts", "test/simulation/**/*.test.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "test/e2e/**/*.test.ts"],
          globalSetup: ["test/helpers/global-setup.ts"],
        },
      },
    ],
  },
});
