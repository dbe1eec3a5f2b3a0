/**
 * Three tiers (see shared/STYLE.md): unit specs beside the code, integration specs against the real
 * PostgreSQL and Redis, and end-to-end specs of the booted system under test/.
 * NestJS 12 ships ES modules only: Jest's CommonJS runtime needs them transformed too.
 */
const swc = [
  '@swc/jest',
  {
    swcrc: false,
    sourceMaps: 'inline',
    module: { type: 'commonjs' },
    jsc: {
      target: 'es2023',
      parser: { syntax: 'typescript', decorators: true, dynamicImport: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      keepClassNames: true,
    },
  },
];

const ESM_ONLY = ['@nestjs', 'nestjs-pino', 'content-disposition'].join('|');

const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': swc },
  // Packages published as ES modules only, wherever npm placed them (top level or nested).
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY})/)(?!.*/node_modules/(${ESM_ONLY})/)`],
  moduleNameMapper: { '^@zhengming/(.*)$': '<rootDir>/libs/$1/src' },
  setupFiles: ['reflect-metadata'],
  rootDir: __dirname,
};

module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,db}/**/*.spec.ts'] },
    // Each integration spec migrates (and often seeds) a database of its own first: seconds, more on a busy machine.
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs,db}/**/*.integration-spec.ts'],
      testTimeout: 30_000,
    },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
  maxWorkers: 2,
};
