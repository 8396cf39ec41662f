/**
 * The profile parser's worker thread, on the built code (a worker thread
 * cannot load the TypeScript sources Jest runs): a large YAML upload is
 * parsed there while the service's thread keeps turning, and comes back as
 * the same profile or the same error (kind, issues, lines) as parsed in place.
 */
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ManualClock } from '@gw/contracts';
import { requireFreshBuild } from '../support/fresh-build';
import { DEFAULT_PROFILE_LIMITS } from '../../apps/metadata/src/domain/profile-limits';
import type * as ParserModule from '../../apps/metadata/src/domain/profile-parser';
import { parseProfileText } from '../../apps/metadata/src/domain/profile-text';

requireFreshBuild('apps/metadata/src/domain', 'libs/contracts/src');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ProfileParser, WORKER_MIN_BYTES, MAX_QUEUED, IDLE_MS } = require(join(__dirname, '../../dist/apps/metadata/src/domain/profile-parser')) as typeof ParserModule;

/** A profile of `n` Modbus-like resources and a command per ten of them, in block-style YAML. */
function profileYaml(name: string, n: number): string {
  const deviceResources = Array.from({ length: n }, (_, i) => ({
    name: `Register-${i}`,
    description: `holding register ${i}`,
    attributes: { primaryTable: 'HOLDING_REGISTERS', startingAddress: i },
    properties: { valueType: 'Float32', readWrite: 'RW', units: 'degC' },
  }));
  const deviceCommands = Array.from({ length: n / 10 }, (_, i) => ({
    name: `Block-${i}`,
    readWrite: 'R',
    resourceOperations: Array.from({ length: 10 }, (_, k) => ({ deviceResource: `Register-${i * 10 + k}` })),
  }));
  return stringify({ name, deviceResources, deviceCommands });
}

const caught = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (err: Error & { kind?: string; issues?: unknown }) => ({ name: err.name, kind: err.kind, message: err.message, issues: err.issues }),
  );

describe('profile parser worker (built code)', () => {
  const limits = DEFAULT_PROFILE_LIMITS;
  const large = profileYaml('Large', 1_000);
  let parser: InstanceType<typeof ProfileParser>;

  beforeEach(() => {
    parser = new ProfileParser();
  });

  afterEach(async () => {
    await parser.close();
  });

  it('parses a large profile in the worker, the service thread turning meanwhile, into the profile parsed in place', async () => {
    expect(Buffer.byteLength(large)).toBeGreaterThan(WORKER_MIN_BYTES);
    expect(parser.usesWorker(Buffer.byteLength(large))).toBe(true);
    let settled = false;
    const parsed = parser.parse(large, 'large.yaml', limits).finally(() => (settled = true));
    expect(parser.workerRunning).toBe(true);
    // In place, the parse would have finished before this thread could run anything else.
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    expect(await parsed).toEqual(parseProfileText(large, 'large.yaml', limits));
  });

  it('parses a small profile in place, without starting the worker', async () => {
    const small = profileYaml('Small', 10);
    expect(parser.usesWorker(Buffer.byteLength(small))).toBe(false);
    expect((await parser.parse(small, 'small.yaml', limits)).profile.deviceResources).toHaveLength(10);
    expect(parser.workerRunning).toBe(false);
  });

  it('answers with the error as parsed in place: kind, issues and lines; a size refusal naming its variable', async () => {
    const lines = large.split('\n');
    const at = lines.findIndex((line) => line.includes('valueType: Float32'));
    lines[at] = lines[at].replace('Float32', 'Float17');
    const invalid = lines.join('\n');
    const refusal = await caught(parser.parse(invalid, 'bad.yaml', limits));
    expect(refusal).toMatchObject({ name: 'ValidationError', kind: 'ContractInvalid' });
    expect(refusal.message).toMatch(new RegExp(`^bad\\.yaml:${at + 1}: deviceResources\\[0\\]\\.properties\\.valueType: `));
    expect(refusal.issues).toEqual([expect.objectContaining({ line: at + 1, path: 'deviceResources[0].properties.valueType' })]);

    expect(await caught(parser.parse(large, 'ops.yaml', { ...limits, maxOperations: 999 }))).toMatchObject({
      kind: 'PayloadTooLarge',
      message: 'ops.yaml: 1000 resourceOperations, more than the 999 a profile may have (GW_METADATA_MAX_PROFILE_OPERATIONS)',
    });
  });

  it(`refuses a large upload with 503 while ${MAX_QUEUED} wait for the worker, and parses those`, async () => {
    const queued = Array.from({ length: MAX_QUEUED }, (_, i) => parser.parse(large, `q${i}.yaml`, limits));
    expect(await caught(parser.parse(large, 'one-more.yaml', limits))).toMatchObject({
      kind: 'ServiceUnavailable',
      message: `${MAX_QUEUED} large profile uploads are being parsed already: try again shortly`,
    });
    expect((await Promise.all(queued)).map((p) => p.profile.deviceResources.length)).toEqual(Array(MAX_QUEUED).fill(1_000));
  });

  it('fails what waits when closed, starts a new worker for the next upload, and stops it when idle', async () => {
    const clock = new ManualClock();
    parser = new ProfileParser({ clock });
    const waiting = caught(parser.parse(large, 'late.yaml', limits));
    await parser.close();
    expect(await waiting).toMatchObject({ kind: 'ServiceUnavailable', message: 'core-metadata is stopping' });
    expect(parser.workerRunning).toBe(false);

    expect((await parser.parse(large, 'again.yaml', limits)).profile.name).toBe('Large');
    expect(parser.workerRunning).toBe(true);
    await clock.advance(IDLE_MS - 1);
    expect(parser.workerRunning).toBe(true);
    await clock.advance(1);
    expect(parser.workerRunning).toBe(false);
  });
});
