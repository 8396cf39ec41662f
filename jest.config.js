// Path aliases are defined once, in tsconfig.json, and mapped here for Jest.
const { compilerOptions } = require('./tsconfig.json');

const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  const key = '^' + alias.replace('*', '(.*)') + '$';
  moduleNameMapper[key] = '<rootDir>/' + target.replace('*', '$1');
}

const { swcOptions } = require('./bin/swc-options');

// Packages Jest must turn into CommonJS itself: node-opcua (2.182.2, the last
// CommonJS release) requires the ESM-only `hexy`; zigbee-herdsman loads its
// adapters with a dynamic import() Jest's CommonJS runtime cannot run, and
// requires the ESM-only `debounce`.
const TRANSFORMED_PACKAGES = ['hexy', 'zigbee-herdsman', 'debounce'];
const transform = {
  '^.+\\.ts$': ['@swc/jest', swcOptions()],
  [`/node_modules/(${TRANSFORMED_PACKAGES.join('|')})/.+\\.js$`]: ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
};
const transformIgnorePatterns = [`/node_modules/(?!(${TRANSFORMED_PACKAGES.join('|')})/)`];

const common = { rootDir: __dirname, transform, transformIgnorePatterns, moduleNameMapper, testEnvironment: 'node' };

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
    },
  ],
  // Integration suites start brokers and databases; Jest reads this only at the top level.
  testTimeout: 60000,
};
