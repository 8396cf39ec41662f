// Path aliases are defined once, in tsconfig.json, and mapped here for Jest.
const { compilerOptions } = require('./tsconfig.json');

const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  const key = '^' + alias.replace('*', '(.*)') + '$';
  moduleNameMapper[key] = '<rootDir>/' + target.replace('*', '$1');
}

const { swcOptions } = require('./bin/swc-options');

// node-opcua (2.182.2, the last CommonJS release) requires `hexy`, which ships
// only as an ES module: Jest transforms that one package to CommonJS too.
const transform = {
  '^.+\\.ts$': ['@swc/jest', swcOptions()],
  '/node_modules/hexy/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
};
const transformIgnorePatterns = ['/node_modules/(?!hexy/)'];

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
