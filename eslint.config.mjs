// Layers, enforced here rather than by habit (test/lint/layers.test.ts feeds a probe file per rule):
//   contracts <- messaging, persistence <- service-kit <- clients, device-sdk <- drivers <- apps
//   (kubeedge-dmi, the KubeEdge mapper, sits beside device-sdk: contracts, messaging and clients only)
// - contracts imports nothing of ours; messaging and persistence only contracts;
// - device-sdk never imports a driver; a driver imports only @gw/contracts and the
//   device SDK's driver-facing entry (@gw/device-sdk/driver), never another driver;
// - libs never import apps; apps never import other apps (apps/gateway, the one
//   composition root, mounts them).
// Each layer's forbidden modules are regexes, written once per layer and applied
// to every way TypeScript names a module: import/export declarations
// (no-restricted-imports), and import(), require() and import("...") types
// (no-restricted-syntax, selectors built from the same regexes).
import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import globals from 'globals';
import react from 'eslint-plugin-react';
import tseslint from 'typescript-eslint';

const foldersIn = (dir) =>
  readdirSync(new URL(dir, import.meta.url), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);

const LIBS = foldersIn('./libs/');
const DRIVERS = foldersIn('./libs/drivers/');
const APPS = foldersIn('./apps/');

const alt = (names) => names.map((name) => name.replace(/[^\w-]/g, '\\$&')).join('|');
/** An import of lib (or driver) folders `names`: by alias, or by a relative path climbing into them. */
const reaching = (names) => (names.length ? `^@gw/(${alt(names)})(/|$)|(^|/)(\\.\\.|libs|drivers)/(${alt(names)})(/|$)` : '^$');
const noApps = { regex: '(^|/)apps/|^@gw/apps(/|$)', message: 'libs must not import apps.' };
const only = (allowed, libFolder) => ({
  regex: reaching(LIBS.filter((lib) => lib !== libFolder && !allowed.includes(lib))),
  message: `libs/${libFolder} may import ${allowed.length ? allowed.map((lib) => '@gw/' + lib).join(', ') : 'no other lib'} only.`,
});
/**
 * The same patterns for what no-restricted-imports cannot see: the module named
 * by an import(), a require() or an import("...") type. Each regex becomes an
 * esquery regex literal with no-restricted-imports' flags (case-insensitive
 * unless caseSensitive), matched on the string, or the plain template, naming the module.
 */
const restrictedSyntax = ({ regex, caseSensitive, message }) => {
  const value = `/${regex.replace(/\\?\//g, '\\/')}/${caseSensitive ? 'u' : 'iu'}`;
  const naming = (parent, field) => [
    `${parent} > Literal.${field}[value=${value}]`,
    `${parent} > TemplateLiteral.${field}[expressions.length=0] > TemplateElement[value.cooked=${value}]`,
  ];
  const refusing = (what) => (selector) => ({ selector, message: `${what} is restricted from being used by a pattern. ${message}` });
  return [
    ...naming('ImportExpression', 'source').map(refusing('Dynamic import')),
    ...naming("CallExpression[callee.type='Identifier'][callee.name='require']", 'arguments').map(refusing('require()')),
    ...naming('TSImportType', 'source').map(refusing('Type import')),
  ];
};
/** Forbids `patterns` (regexes) in `files`, however the module is imported. A later restrict() for the same files replaces, not adds to, an earlier one. */
const restrict = (files, ...patterns) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns }],
    'no-restricted-syntax': ['error', ...patterns.flatMap(restrictedSyntax)],
  },
});
// A driver's own specs may check it against the SDK it plugs into (readings, watcher matching).
const specsOf = (folder) => ({ files: [`${folder}/**/*.spec.ts`], rules: { 'no-restricted-imports': 'off', 'no-restricted-syntax': 'off' } });

const driverRules = DRIVERS.map((driver) =>
  restrict(
    [`libs/drivers/${driver}/**/*.ts`],
    noApps,
    {
      regex: '^@gw/(?!contracts$|device-sdk/driver$)',
      message: 'a driver imports only @gw/contracts and @gw/device-sdk/driver (the SDK’s driver-facing entry).',
    },
    {
      regex: reaching([...LIBS, ...DRIVERS.filter((other) => other !== driver), 'registry']).replace('^@gw/', '^@gw-none/'),
      message: `libs/drivers/${driver} must not reach into other libs, other drivers or the registry by a relative path.`,
    },
  ),
);

const appBoundary = (app) =>
  restrict(
    [`apps/${app}/**/*.ts`],
    ...APPS.filter((other) => other !== app).map((other) => ({
      regex: `(^|/)apps/${alt([other])}(/|$)|(^|/)${alt([other])}/src(/|$)`,
      message: `apps/${app} must not import apps/${other}: share code through libs/.`,
    })),
  );

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**', '**/*.js', '**/*.mjs', '!apps/console/web/src/**/*.js'] },
  // The web console's single-page app (Preact, plain JS/JSX, built by Vite): checked for
  // undefined and unused names; jsx-uses-vars marks components used only in JSX as used.
  {
    files: ['apps/console/web/src/**/*.{js,jsx}'],
    plugins: { react },
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', parserOptions: { ecmaFeatures: { jsx: true } }, globals: globals.browser },
    rules: { 'react/jsx-uses-vars': 'error', 'no-console': 'error' },
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
    },
  },
  restrict(['libs/**/*.ts'], noApps),
  restrict(['libs/contracts/**/*.ts'], noApps, only([], 'contracts')),
  restrict(['libs/messaging/**/*.ts'], noApps, only(['contracts'], 'messaging')),
  restrict(['libs/persistence/**/*.ts'], noApps, only(['contracts'], 'persistence')),
  restrict(['libs/service-kit/**/*.ts'], noApps, only(['contracts', 'messaging', 'persistence'], 'service-kit')),
  restrict(['libs/clients/**/*.ts'], noApps, only(['contracts'], 'clients')),
  restrict(['libs/device-sdk/**/*.ts'], noApps, only(['contracts', 'messaging', 'persistence', 'service-kit', 'clients'], 'device-sdk')),
  restrict(['libs/kubeedge-dmi/**/*.ts'], noApps, only(['contracts', 'messaging', 'clients'], 'kubeedge-dmi')),
  ...driverRules,
  ...DRIVERS.map((driver) => specsOf(`libs/drivers/${driver}`)),
  ...APPS.filter((app) => app !== 'gateway').map(appBoundary),
  // Tests read JSON answers of any shape; typing each one would add noise, not safety.
  {
    files: ['bench/**/*.ts', 'test/**/*.ts', '**/*.spec.ts'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
