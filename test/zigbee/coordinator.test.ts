/**
 * The coordinator on its own (no SDK): a start that fails is retried after a
 * backoff until the coordinator answers; the generated network key is kept
 * and reused, and never reaches a log line, herdsman's own included.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollUntil } from '../support/poll';
import { fakeNetwork, installFakeAdapters } from './support/fake-adapter';
import { fakeZigbee } from './support/driver';

let uninstall: () => void;
const dataDir = mkdtempSync(join(tmpdir(), 'zigbee-coordinator-'));
beforeAll(() => (uninstall = installFakeAdapters()));
afterAll(() => {
  uninstall();
  rmSync(dataDir, { recursive: true, force: true });
});

function started(id: string) {
  const lines: string[] = [];
  const log = (level: string) => (obj: object, msg?: string) => void lines.push(`${level} ${msg ?? ''} ${JSON.stringify(obj)}`);
  const driver = fakeZigbee(id, { dataDir, reconnectMin: '20ms', reconnectMax: '100ms' });
  return { driver, lines, init: () => driver.initialize({ serviceName: 'device-zigbee', logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }, pushValues: () => undefined }) };
}

it('retries a coordinator that does not answer, with backoff, until it is up; the key is never logged', async () => {
  const id = randomBytes(4).toString('hex');
  const network = fakeNetwork(id);
  network.failStarts = 3;
  const { driver, lines, init } = started(id);
  await init();
  await driver.start();
  try {
    await pollUntil(() => driver.coordinatorState().state === 'up', 'coordinator up after 3 refused starts');
    expect(network.starts).toBe(4);
    expect(lines.filter((l) => l.includes('reconnecting after a backoff'))).toHaveLength(3);
    expect(lines.join('\n')).toContain('unplugged');
    const hex = readFileSync(join(dataDir, 'network-key'), 'utf8').trim();
    const bytes = [...Buffer.from(hex, 'hex')];
    const everything = lines.join('\n');
    expect(everything).not.toContain(hex);
    expect(everything).not.toContain(JSON.stringify(bytes));
    expect(everything).not.toContain(bytes.join(','));
  } finally {
    await driver.stop(true);
  }
});

it('reuses the key kept in the data folder on the next start', async () => {
  const before = readFileSync(join(dataDir, 'network-key'), 'utf8');
  const id = randomBytes(4).toString('hex');
  const network = fakeNetwork(id);
  const { driver, init } = started(id);
  await init();
  await driver.start();
  try {
    await pollUntil(() => driver.coordinatorState().state === 'up', 'up');
    expect(Buffer.from(network.networkKey!).toString('hex')).toBe(before.trim());
  } finally {
    await driver.stop(true);
  }
  expect(driver.coordinatorState()).toEqual({ state: 'not configured' });
});
