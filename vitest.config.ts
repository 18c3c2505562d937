import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

// Three projects so `vitest run --project unit` stays fast; `npm test` runs them all.
// Integration and e2e tests use the real Redis (each file under its own key prefix) and,
// for e2e, Chromium against the built screen; the machine has 2 cores.
export default defineConfig({
  // widget component tests (tests/unit/widget*.test.ts, happy-dom) import .vue files
  plugins: [vue()],
  test: {
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node', testTimeout: 30_000 } },
      { extends: true, test: { name: 'integration', include: ['tests/integration/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 } },
      // globalSetup: without Chromium, one line with the fix before any browser test starts
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          globalSetup: ['tests/support/chromium-check.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
