// Lints probe texts (stdin: JSON [{ filePath, code }]) with the project's ESLint
// config and prints, per probe, the layer rules' messages as { rule, message }:
// no-restricted-imports (import/export declarations), no-restricted-syntax
// (import(), require(), import("...") types) and any parse error (rule null).
// Run as a child process: ESLint loads eslint.config.mjs with import(), which Jest's VM cannot.
const { ESLint } = require('eslint');

const LAYER_RULES = ['no-restricted-imports', 'no-restricted-syntax'];

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const eslint = new ESLint({ cwd: process.argv[2] });
  const out = [];
  for (const probe of JSON.parse(input)) {
    const [result] = await eslint.lintText(probe.code, { filePath: probe.filePath });
    out.push(
      result.messages
        .filter((m) => LAYER_RULES.includes(m.ruleId) || m.fatal)
        .map((m) => ({ rule: m.ruleId ?? null, message: m.message })),
    );
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(String(err?.stack ?? err));
  process.exit(1);
});
