// Lints probe texts (stdin: JSON [{ filePath, code }]) with the project's ESLint
// config and prints, per probe, the no-restricted-imports messages. Run as a
// child process: ESLint loads eslint.config.mjs with import(), which Jest's VM cannot.
const { ESLint } = require('eslint');

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const eslint = new ESLint({ cwd: process.argv[2] });
  const out = [];
  for (const probe of JSON.parse(input)) {
    const [result] = await eslint.lintText(probe.code, { filePath: probe.filePath });
    out.push(result.messages.filter((m) => m.ruleId === 'no-restricted-imports' || m.fatal).map((m) => m.message));
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(String(err?.stack ?? err));
  process.exit(1);
});
