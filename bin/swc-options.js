'use strict';
/**
 * How TypeScript becomes CommonJS without type-checking: one set of swc
 * options for Jest (jest.config.js) and for the quick build of `npm start`
 * (bin/build-if-changed.js). Decorator metadata as tsc emits it, for Nest.
 */
const path = require('node:path');

/**
 * `paths: true` also rewrites the @gw/* aliases of `root`'s tsconfig.json into
 * relative requires (Jest maps them itself).
 */
function swcOptions({ paths = false, root = path.resolve(__dirname, '..') } = {}) {
  const jsc = {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  };
  if (paths) Object.assign(jsc, { baseUrl: root, paths: require(path.join(root, 'tsconfig.json')).compilerOptions.paths });
  return { jsc, module: { type: 'commonjs' } };
}

module.exports = { swcOptions };
