// Jest transforms TypeScript with SWC (fast, no type check); `npm run typecheck` runs tsc separately.
// Two projects: unit tests need no services; integration tests get a throwaway database and Redis prefix.
const transform = {
  '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
};
// Generated Prisma code imports siblings as './x.js'; map those to the .ts sources.
const moduleNameMapper = { '^(\\.{1,2}/.*)\\.js$': '$1' };

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 60000,
  projects: [
    { displayName: 'unit', testEnvironment: 'node', roots: ['<rootDir>/test/unit'], transform, moduleNameMapper },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/integration'],
      transform,
      moduleNameMapper,
      globalSetup: '<rootDir>/test/utils/globalSetup.ts',
      globalTeardown: '<rootDir>/test/utils/globalTeardown.ts',
    },
  ],
};
