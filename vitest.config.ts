// vitest: one config for every test; network tests bind 127.0.0.1 on port 0.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30000,
    hookTimeout: 60000,
    pool: "forks",
    globalSetup: ["test/global-setup.ts"],
  },
});
