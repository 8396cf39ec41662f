/**
 * The layers of DESIGN.md, enforced by ESLint (eslint.config.mjs): each rule
 * gets a probe file that breaks it (and must be refused) and the imports the
 * layer may make (which must pass), each tried every way TypeScript names a
 * module: an import declaration, import() (string and plain template),
 * require() and an import("...") type.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

/** How a probe names its module. */
type Via = 'declaration' | 'dynamic import' | 'dynamic import (template)' | 'require' | 'import type';

interface Case {
  file: string;
  import: string;
  refused: boolean;
}

interface Probe extends Case {
  via: Via;
}

/** The probe file's text: `module` named `via`, and used, so that only the layer rules can object. */
const CODE: Record<Via, (module: string) => string> = {
  declaration: (module) => `import * as probe from '${module}';\nexport default probe;\n`,
  'dynamic import': (module) => `export default async function probe(): Promise<unknown> {\n  return import('${module}');\n}\n`,
  'dynamic import (template)': (module) => `export default async function probe(): Promise<unknown> {\n  return import(\`${module}\`);\n}\n`,
  require: (module) =>
    `export default function probe(): unknown {\n  // eslint-disable-next-line @typescript-eslint/no-require-imports\n  return require('${module}');\n}\n`,
  'import type': (module) => `export type Probe = typeof import('${module}');\n`,
};
/** The rule that must refuse a module named `via`. */
const RULE: Record<Via, string> = {
  declaration: 'no-restricted-imports',
  'dynamic import': 'no-restricted-syntax',
  'dynamic import (template)': 'no-restricted-syntax',
  require: 'no-restricted-syntax',
  'import type': 'no-restricted-syntax',
};

const cases: Case[] = [
  // contracts imports nothing of ours
  { file: 'libs/contracts/src/probe.ts', import: '@gw/messaging', refused: true },
  { file: 'libs/contracts/src/time/probe.ts', import: '../../../service-kit/src/config', refused: true },
  { file: 'libs/contracts/src/probe.ts', import: './errors', refused: false },
  // messaging and persistence: contracts only
  { file: 'libs/messaging/src/probe.ts', import: '@gw/persistence', refused: true },
  { file: 'libs/messaging/src/mqtt/probe.ts', import: '../../../persistence/src/data-source', refused: true },
  { file: 'libs/messaging/src/probe.ts', import: '@gw/contracts', refused: false },
  { file: 'libs/persistence/src/probe.ts', import: '@gw/service-kit', refused: true },
  { file: 'libs/persistence/src/probe.ts', import: '@gw/messaging', refused: true },
  // device-sdk never imports a driver
  { file: 'libs/device-sdk/src/probe.ts', import: '@gw/drivers', refused: true },
  { file: 'libs/device-sdk/src/probe.ts', import: '@gw/drivers/modbus', refused: true },
  { file: 'libs/device-sdk/src/probe.ts', import: '../../drivers/modbus/src/modbus-driver', refused: true },
  { file: 'libs/device-sdk/src/probe.ts', import: '@gw/service-kit/config', refused: false },
  // a driver: @gw/contracts and @gw/device-sdk/driver only, never another driver
  { file: 'libs/drivers/modbus/src/probe.ts', import: '@gw/contracts', refused: false },
  { file: 'libs/drivers/modbus/src/probe.ts', import: '@gw/device-sdk/driver', refused: false },
  { file: 'libs/drivers/modbus/src/probe.ts', import: 'modbus-serial', refused: false },
  // its descriptor's create() loads the driver lazily from its own folder
  { file: 'libs/drivers/modbus/src/probe.ts', import: './modbus-driver', refused: false },
  { file: 'libs/drivers/virtual/src/probe.ts', import: './virtual-driver', refused: false },
  { file: 'libs/drivers/modbus/src/probe.ts', import: '@gw/device-sdk', refused: true },
  { file: 'libs/drivers/modbus/src/probe.ts', import: '@gw/device-sdk/values', refused: true },
  { file: 'libs/drivers/modbus/src/probe.ts', import: '@gw/messaging', refused: true },
  { file: 'libs/drivers/modbus/src/probe.ts', import: '@gw/service-kit/config', refused: true },
  { file: 'libs/drivers/modbus/src/probe.ts', import: '@gw/drivers/virtual', refused: true },
  { file: 'libs/drivers/modbus/src/probe.ts', import: '../../virtual/src/virtual-driver', refused: true },
  { file: 'libs/drivers/modbus/src/probe.ts', import: '../../registry', refused: true },
  { file: 'libs/drivers/virtual/src/probe.ts', import: '../../../service-kit/src/bootstrap', refused: true },
  // kubeedge-dmi (the KubeEdge mapper) sits beside device-sdk: contracts, messaging and clients only; device-sdk never imports it
  { file: 'libs/kubeedge-dmi/src/probe.ts', import: '@gw/clients', refused: false },
  { file: 'libs/kubeedge-dmi/src/probe.ts', import: '@gw/messaging', refused: false },
  { file: 'libs/kubeedge-dmi/src/probe.ts', import: '@gw/device-sdk', refused: true },
  { file: 'libs/kubeedge-dmi/src/probe.ts', import: '../../service-kit/src/bootstrap', refused: true },
  { file: 'libs/device-sdk/src/probe.ts', import: '@gw/kubeedge-dmi', refused: true },
  { file: 'apps/device-service/src/probe.ts', import: '@gw/kubeedge-dmi', refused: false },
  // libs never import apps; apps never import apps, except the gateway that composes them
  { file: 'libs/service-kit/src/probe.ts', import: '../../../apps/metadata/src/metadata.app', refused: true },
  { file: 'apps/metadata/src/probe.ts', import: '../../core-data/src/core-data.app', refused: true },
  { file: 'apps/device-service/src/probe.ts', import: '../../gateway/src/config', refused: true },
  { file: 'apps/gateway/src/probe.ts', import: '../../metadata/src/metadata.app', refused: false },
  { file: 'apps/gateway/src/probe.ts', import: '@gw/drivers', refused: false },
];

const probes: Probe[] = cases.flatMap((probe) => (Object.keys(CODE) as Via[]).map((via) => ({ ...probe, via })));

describe('layers enforced by lint', () => {
  let messages: { rule: string | null; message: string }[][];

  beforeAll(() => {
    const input = probes.map((p) => ({ filePath: join(ROOT, p.file), code: CODE[p.via](p.import) }));
    const output = execFileSync(process.execPath, [join(__dirname, 'lint-probes.js'), ROOT], { input: JSON.stringify(input), cwd: ROOT });
    messages = JSON.parse(output.toString());
  }, 60_000);

  it.each(probes.map((probe, index) => [`${probe.file} importing ${probe.import} by ${probe.via}`, probe.refused, index] as const))(
    '%s: refused %s',
    (_what, refused, index) => {
      if (!refused) expect(messages[index]).toEqual([]);
      else {
        expect(messages[index].length).toBeGreaterThan(0);
        for (const { rule, message } of messages[index]) {
          expect(rule).toBe(RULE[probes[index].via]);
          expect(message).toContain('is restricted from being used by a pattern');
        }
      }
    },
  );
});
