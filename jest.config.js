/** One project per suite family so `--selectProjects` can run a part (e2e against a deployed stage). */
const transform = { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
// jose and a few other dependencies ship ESM only; let swc turn them into CommonJS.
const transformIgnorePatterns = ['/node_modules/(?!(jose|p-limit|yocto-queue)/)'];
const base = { transform, transformIgnorePatterns, testEnvironment: 'node' };
// Builds the migrated PGlite fixture once, before the suites that start databases from it.
const pgliteFixture = '<rootDir>/test/helpers/global-setup-pglite.ts';

module.exports = {
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...base, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'], globalSetup: pgliteFixture },
    { ...base, displayName: 'sql', testMatch: ['<rootDir>/test/sql/**/*.test.ts'] },
    { ...base, displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'] },
    // Each reliability suite starts the stage pieces it needs (its own faults, its own restarts).
    { ...base, displayName: 'reliability', testMatch: ['<rootDir>/test/reliability/**/*.test.ts'], globalSetup: pgliteFixture },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/test/e2e/global-setup.ts',
      globalTeardown: '<rootDir>/test/e2e/global-teardown.ts',
    },
  ],
};
