import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The machine has 2 cores; the model's tests are CPU-bound.
    pool: "threads",
    testTimeout: 60_000,
  },
});
