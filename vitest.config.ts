import { defineConfig } from "vitest/config";

// Unit tests sit next to the code (`*.test.ts`); integration tests (`*.integration.test.ts`) boot
// real databases: PGlite always, PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set.
export default defineConfig({
  test: {
    include: ["server/src/**/*.test.ts", "packages/**/src/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
    reporters: ["default"],
  },
});
