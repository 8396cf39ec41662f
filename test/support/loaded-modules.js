// Preloaded with `node -r`: when the process exits, writes the files it had
// loaded (require.cache) to $GW_TEST_LOADED_MODULES, one per line.
const { writeFileSync } = require('node:fs');

process.on('exit', () => {
  if (process.env.GW_TEST_LOADED_MODULES) writeFileSync(process.env.GW_TEST_LOADED_MODULES, Object.keys(require.cache).join('\n'));
});
