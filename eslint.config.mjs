// Import boundaries: contracts <- messaging/persistence/service-kit/device-sdk <- drivers <- apps.
// Apps never import other apps (apps/gateway is the one composition root); libs never import apps.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const APPS = ['metadata', 'core-data', 'core-command', 'device-service', 'app-service', 'modbus-sim'];
const noApps = { group: ['**/apps/**', '@gw/apps/*'], message: 'libs must not import apps.' };

const appBoundary = (app) => ({
  files: [`apps/${app}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: APPS.filter((other) => other !== app).map((other) => ({
          group: [`**/apps/${other}/**`, `**/${other}/src/**`],
          message: `apps/${app} must not import apps/${other}: share code through libs/.`,
        })),
      },
    ],
  },
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
    },
  },
  {
    files: ['libs/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noApps] }] },
  },
  {
    files: ['libs/contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [noApps, { group: ['@gw/*', '!@gw/contracts'], message: 'contracts depends on no other lib.' }] },
      ],
    },
  },
  ...APPS.map(appBoundary),
  // Tests read JSON answers of any shape; typing each one would add noise, not safety.
  {
    files: ['bench/**/*.ts', 'test/**/*.ts', '**/*.spec.ts'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
