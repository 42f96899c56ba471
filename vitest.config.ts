import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Mutation runs may shorten it (TESTING.md): a mutant that makes an append or a wait hang then fails
    // its test rather than waiting out Stryker's timeout and a restart of its worker.
    testTimeout: Number(process.env.RAIA_TEST_TIMEOUT_MS ?? 60_000),
    hookTimeout: 60_000,
    pool: 'forks',
    // CI also writes a JSON report, from which .ci/run prints a plain "N passed, N failed" line.
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'test-results.json' },
  },
});
