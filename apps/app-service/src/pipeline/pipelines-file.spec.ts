import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ErrorKind, GatewayError } from '@gw/contracts';
import {
  loadPipelinesFile,
  parsePipelinesFile,
  PipelinesFileError,
  PipelinesFileOptions,
  redactPipelinesFile,
  secretFieldPaths,
} from './pipelines-file';

const FIXTURES = resolve(__dirname, '../../fixtures');

/** Lines of YAML, so tests can say which line a problem is on. */
const yaml = (...lines: string[]) => lines.join('\n') + '\n';

/** PEM-shaped text (the sinks check for the BEGIN line when the service is built). */
const pem = (body: string) => `-----BEGIN TEST-----\n${body}\n-----END TEST-----\n`;
const CA_PEM = pem('CA FILE');
const KEY_PEM = pem('KEY FILE');

const MQTT_SINK = ['sinks:', '  - { name: out, type: mqtt, url: "mqtt://localhost:1883", topic: "t/{device}" }'];

function failure(text: string, options: PipelinesFileOptions = {}): PipelinesFileError {
  try {
    parsePipelinesFile(text, 'pipelines.yaml', { env: {}, ...options });
  } catch (err) {
    if (err instanceof PipelinesFileError) return err;
    throw err;
  }
  throw new Error('expected the file to be refused');
}

/** `line: path: message` of every issue, in file order. */
const issuesOf = (text: string, options?: PipelinesFileOptions) =>
  failure(text, options).issues.map((i) => `${i.line}: ${i.path}: ${i.message}`);

describe('parsePipelinesFile', () => {
  it('reads sinks and pipelines, filling in defaults', () => {
    const file = parsePipelinesFile(yaml(...MQTT_SINK, 'pipelines:', '  - { name: all, sinks: [out] }'), 'p.yaml', { env: {} });
    expect(file.sinks).toEqual([expect.objectContaining({ name: 'out', type: 'mqtt', qos: 1, retain: false })]);
    expect(file.pipelines).toEqual([
      { name: 'all', topics: ['edgex/events/#'], filters: [], transform: 'edgex', gzip: false, sinks: ['out'] },
    ]);
  });

  it('subscribes by default to every event under the configured topic base (device services’ and those ingested over REST)', () => {
    const file = parsePipelinesFile(yaml(...MQTT_SINK, 'pipelines:', '  - { name: all, sinks: [out] }'), 'p.yaml', {
      env: {},
      topicBase: 'plant1/edgex',
    });
    expect(file.pipelines[0].topics).toEqual(['plant1/edgex/events/#']);
  });

  it('parses batch settings: count and an interval in ms', () => {
    const text = yaml(...MQTT_SINK, 'pipelines:', '  - { name: a, batch: { count: 100, interval: 2s }, sinks: [out] }', '  - { name: b, batch: { interval: 1m }, sinks: [out] }');
    const [a, b] = parsePipelinesFile(text, 'p.yaml', { env: {} }).pipelines;
    expect(a.batch).toEqual({ count: 100, intervalMs: 2000 });
    expect(b.batch).toEqual({ intervalMs: 60_000 });
  });

  it('takes an empty file as no sinks and no pipelines', () => {
    expect(parsePipelinesFile('', 'p.yaml', { env: {} })).toEqual({ sinks: [], pipelines: [] });
  });

  it('is a Config error (the service exits 78), naming file and line of every problem at once', () => {
    const text = yaml(
      'sinks:', //                                                               1
      '  - name: out', //                                                        2
      '    type: mqtt', //                                                       3
      '    url: mqtt://localhost:1883', //                                       4
      '    topic: t', //                                                         5
      '    qos: 3', //                                                           6
      'pipelines:', //                                                           7
      '  - name: telemetry', //                                                  8
      '    transform: shiny', //                                                 9
      '    batch: { count: 0 }', //                                             10
      '    sinks: [out]', //                                                    11
    );
    const err = failure(text);
    expect(GatewayError.is(err, ErrorKind.Config)).toBe(true);
    expect(err.issues.map((i) => [i.line, i.path])).toEqual([
      [6, 'sinks[0].qos'],
      [9, 'pipelines[0].transform'],
      [10, 'pipelines[0].batch.count'],
    ]);
    expect(err.message).toContain('pipelines.yaml:9: pipelines[0].transform: "shiny" is not one of edgex, flat, twin');
    expect(err.message).toContain('pipelines.yaml:10: pipelines[0].batch.count: must be a whole number from 1 to 10000');
  });

  it('reports YAML syntax errors with their line, as a Config error', () => {
    const err = failure(yaml('sinks:', '  - name: out', '   type: mqtt'));
    expect(err.kind).toBe(ErrorKind.Config);
    expect(err.issues[0]).toMatchObject({ line: 3, message: expect.stringContaining('invalid YAML') });
  });

  it('refuses unknown fields, at top level and in a pipeline', () => {
    expect(issuesOf(yaml(...MQTT_SINK, 'pipelines:', '  - name: a', '    sink: [out]', 'pipeline: []'))).toEqual([
      '4: pipelines[0].sinks: is required',
      '5: pipelines[0].sink: unknown field',
      '6: pipeline: unknown field',
    ]);
  });

  it('refuses a batch count above 10,000, a batch with neither field and a bad interval', () => {
    const text = yaml(
      ...MQTT_SINK,
      'pipelines:',
      '  - { name: a, batch: { count: 10001 }, sinks: [out] }',
      '  - { name: b, batch: {}, sinks: [out] }',
      '  - { name: c, batch: { interval: 2 }, sinks: [out] }',
      '  - { name: d, batch: { interval: 2 seconds }, sinks: [out] }',
      '  - { name: e, batch: { interval: 0s }, sinks: [out] }',
    );
    expect(issuesOf(text)).toEqual([
      '4: pipelines[0].batch.count: must be a whole number from 1 to 10000',
      '5: pipelines[1].batch: set count, interval or both',
      '6: pipelines[2].batch.interval: must be a duration such as 500ms, 2s or 1m',
      '7: pipelines[3].batch.interval: "2 seconds" is not a duration such as 500ms, 20s, 1m or 1h30m',
      '8: pipelines[4].batch.interval: must be longer than 0',
    ]);
  });

  it('accepts 10,000 and 1 as batch counts', () => {
    const text = yaml(...MQTT_SINK, 'pipelines:', '  - { name: a, batch: { count: 10000 }, sinks: [out] }', '  - { name: b, batch: { count: 1 }, sinks: [out] }');
    expect(parsePipelinesFile(text, 'p.yaml', { env: {} }).pipelines.map((p) => p.batch?.count)).toEqual([10000, 1]);
  });

  describe('cross-checks', () => {
    it('refuses duplicate sink and pipeline names, naming the first', () => {
      const text = yaml(
        'sinks:',
        '  - { name: out, type: mqtt, url: "mqtt://a", topic: t }',
        '  - { name: out, type: http, url: "http://localhost:8080/x" }',
        'pipelines:',
        '  - { name: p, sinks: [out] }',
        '  - { name: p, sinks: [out] }',
      );
      expect(issuesOf(text)).toEqual(['3: sinks[1].name: "out" is already the name of sinks[0]', '6: pipelines[1].name: "p" is already the name of pipelines[0]']);
    });

    it('refuses a sink that does not exist, listing those that do, and a sink listed twice', () => {
      const text = yaml(...MQTT_SINK, 'pipelines:', '  - name: p', '    sinks:', '      - out', '      - cloud', '      - out');
      expect(issuesOf(text)).toEqual(['7: pipelines[0].sinks[1]: no sink named "cloud" (sinks: out)', '8: pipelines[0].sinks[2]: "out" is listed twice']);
    });

    it('checks outbox bounds and what only the sink can judge at load, with their lines, all at once', () => {
      const text = yaml(
        'sinks:',
        '  - { name: out, type: mqtt, url: "mqtt://localhost:1883", topic: "a/#/b" }',
        '  - name: cloud',
        '    type: http',
        '    url: http://localhost:8080/in',
        '    outbox: { maxAge: 7days }',
        '  - { name: hub, type: azure-twin, connectionString: "HostName=h.azure-devices.net;DeviceId=d" }',
        'pipelines:',
        '  - { name: p, sinks: [out, cloud] }',
        '  - { name: s, transform: twin, sinks: [hub] }',
      );
      const issues = issuesOf(text);
      expect(issues).toEqual([
        expect.stringMatching(/^2: sinks\[0\]: .*#/),
        expect.stringMatching(/^6: sinks\[1\]\.outbox\.maxAge: .*7days/),
        expect.stringMatching(/^7: sinks\[2\]: .*SharedAccessKey/),
      ]);
    });

    it('does not call a sink with its own problems missing', () => {
      const text = yaml('sinks:', '  - { name: out, type: mqtt, url: "mqtt://a" }', 'pipelines:', '  - { name: p, sinks: [out] }');
      expect(issuesOf(text)).toEqual(['2: sinks[0].topic: is required']);
    });

    it('refuses pipeline names that would make route names <pipeline>.<sink> ambiguous', () => {
      const text = yaml(...MQTT_SINK, 'pipelines:', '  - { name: a.b, sinks: [out] }', '  - { name: "-x", sinks: [out] }', '  - { name: ok_1-2, sinks: [out] }');
      const issues = issuesOf(text);
      expect(issues).toHaveLength(2);
      expect(issues[0]).toMatch(/^4: pipelines\[0\]\.name: letters, digits, _ and - only/);
      expect(issues[1]).toMatch(/^5: pipelines\[1\]\.name: /);
    });

    it('lets an aws-shadow sink take only the twin transform, and other sinks any', () => {
      const text = yaml(
        'sinks:',
        '  - { name: shadow, type: aws-shadow, url: "mqtts://x.iot.eu-west-1.amazonaws.com:8883", clientId: gw, tls: {} }',
        '  - { name: hub, type: azure-twin, connectionString: "HostName=h;DeviceId=d;SharedAccessKey=a2V5" }',
        'pipelines:',
        '  - { name: state, transform: twin, sinks: [shadow, hub] }',
        '  - { name: telemetry, transform: flat, sinks: [hub, shadow] }',
        '  - { name: raw, sinks: [shadow] }',
      );
      expect(issuesOf(text)).toEqual([
        '6: pipelines[1].sinks[1]: sink "shadow" (aws-shadow) takes only the twin transform (a shadow stores reported state only), not flat',
        '7: pipelines[2].sinks[0]: sink "shadow" (aws-shadow) takes only the twin transform (a shadow stores reported state only), not edgex',
      ]);
    });

    it('allows a sink no pipeline uses', () => {
      const text = yaml(...MQTT_SINK, '  - { name: spare, type: http, url: "http://localhost:1/x" }', 'pipelines:', '  - { name: p, sinks: [out] }');
      expect(parsePipelinesFile(text, 'p.yaml', { env: {} }).sinks.map((s) => s.name)).toEqual(['out', 'spare']);
    });

    it('checks URL schemes per sink type', () => {
      const text = yaml(
        'sinks:',
        '  - { name: a, type: mqtt, url: "http://localhost:1883", topic: t }',
        '  - { name: b, type: http, url: "ftp://localhost/x" }',
        '  - { name: c, type: mqtt, url: "mqtts://localhost:8883", topic: t }',
      );
      expect(issuesOf(text)).toEqual([
        '2: sinks[0].url: must be a URL starting with mqtt://, mqtts://, ws://, wss://',
        '3: sinks[1].url: must be a URL starting with http://, https://',
      ]);
    });
  });

  describe('filters and topics', () => {
    it('names the field whose regular expression does not compile', () => {
      const text = yaml(
        ...MQTT_SINK,
        'pipelines:',
        '  - name: p',
        '    filters:',
        '      - { device: "Boiler-(" }',
        '      - { resource: "a)(b", exclude: true }',
        '    sinks: [out]',
      );
      expect(issuesOf(text)).toEqual([
        '6: pipelines[0].filters[0].device: not a valid regular expression: Unterminated group',
        "7: pipelines[0].filters[1].resource: not a valid regular expression: Unmatched ')'",
      ]);
    });

    it('refuses a filter naming no field, and an unknown filter field', () => {
      const text = yaml(...MQTT_SINK, 'pipelines:', '  - name: p', '    filters:', '      - { exclude: true }', '      - { deviceName: x }', '    sinks: [out]');
      expect(issuesOf(text)).toEqual([
        '6: pipelines[0].filters[0]: name at least one of device, profile, source, resource',
        '7: pipelines[0].filters[1].deviceName: unknown field',
        '7: pipelines[0].filters[1]: name at least one of device, profile, source, resource', // the hint that goes with it
      ]);
    });

    it('checks the regular expression of a twin sink`s devices', () => {
      const text = yaml('sinks:', '  - { name: hub, type: azure-twin, connectionString: "HostName=h;DeviceId=d;SharedAccessKey=a2V5", devices: "[" }');
      expect(issuesOf(text)).toEqual(['2: sinks[0].devices: not a valid regular expression: Unterminated character class']);
    });

    it('keeps topics under the device events of the topic base, with valid wildcards', () => {
      const text = yaml(
        ...MQTT_SINK,
        'pipelines:',
        '  - name: p',
        '    topics:',
        '      - edgex/events/device/+/Boiler/#', // fine
        '      - edgex/#',
        '      - other/events/device/#',
        '      - edgex/events/device/a#',
        '      - edgex/events/device/#/x',
        '      - edgex/events/device/s+/p',
        '      - edgex/events/device/s/p/d/src/extra',
        '      - edgex/events/device/s/p/d/src/#', // fine
        '    sinks: [out]',
      );
      expect(issuesOf(text)).toEqual([
        '7: pipelines[0].topics[1]: must be an event topic: edgex/events/#, or under edgex/events/device/ or edgex/events/core/, e.g. edgex/events/device/#',
        '8: pipelines[0].topics[2]: must be an event topic: edgex/events/#, or under edgex/events/device/ or edgex/events/core/, e.g. edgex/events/device/#',
        '9: pipelines[0].topics[3]: # may only stand alone as the last level',
        '10: pipelines[0].topics[4]: # may only stand alone as the last level',
        '11: pipelines[0].topics[5]: + must stand alone as a level',
        '12: pipelines[0].topics[6]: has more levels than a device event topic (edgex/events/device/{service}/{profile}/{device}/{source})',
      ]);
    });

    it('follows a configured topic base', () => {
      const text = yaml(...MQTT_SINK, 'pipelines:', '  - { name: p, topics: [edgex/events/device/#], sinks: [out] }');
      expect(issuesOf(text, { topicBase: 'site7' })).toEqual([
        '4: pipelines[0].topics[0]: must be an event topic: site7/events/#, or under site7/events/device/ or site7/events/core/, e.g. site7/events/device/#',
      ]);
    });
  });

  describe('secrets', () => {
    const SECRET = 's3cr3t-t0ken-value';

    it('resolves ${env:NAME} alone and inside a longer text', () => {
      const text = yaml(
        'sinks:',
        '  - name: cloud',
        '    type: http',
        '    url: ${env:CLOUD_URL}',
        '    headers: { Authorization: "Bearer ${env:CLOUD_TOKEN}" }',
      );
      const file = parsePipelinesFile(text, 'p.yaml', { env: { CLOUD_URL: 'https://ingest.example.com/x', CLOUD_TOKEN: SECRET } });
      expect(file.sinks[0]).toMatchObject({ url: 'https://ingest.example.com/x', headers: { Authorization: `Bearer ${SECRET}` } });
    });

    it('reads ${file:path} (relative to baseDir) without its trailing newline', () => {
      const dir = mkdtempSync(join(tmpdir(), 'pipelines-'));
      try {
        writeFileSync(join(dir, 'password'), `${SECRET}\n`);
        const text = yaml('sinks:', '  - { name: m, type: mqtt, url: "mqtt://localhost", topic: t, password: "${file:password}" }');
        expect(parsePipelinesFile(text, 'p.yaml', { env: {}, baseDir: dir }).sinks[0]).toMatchObject({ password: SECRET });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('writes $${ for a literal ${', () => {
      const text = yaml('sinks:', '  - { name: m, type: mqtt, url: "mqtt://localhost", topic: "a/$${env:X}" }');
      expect(parsePipelinesFile(text, 'p.yaml', { env: { X: 'no' } }).sinks[0]).toMatchObject({ topic: 'a/${env:X}' });
    });

    it('names the field and the variable or file that is missing, and nothing else about that field', () => {
      const text = yaml(
        'sinks:',
        '  - name: cloud',
        '    type: http',
        '    url: ${env:CLOUD_URL}',
        '    headers:',
        '      Authorization: "Bearer ${env:CLOUD_TOKEN}"',
        '  - { name: m, type: mqtt, url: "mqtt://localhost", topic: t, password: "${file:/nonexistent/pw}" }',
        '  - { name: n, type: mqtt, url: "mqtt://localhost", topic: t, password: "${vault:pw}" }',
      );
      expect(issuesOf(text, { env: { CLOUD_TOKEN: '' } })).toEqual([
        '4: sinks[0].url: environment variable CLOUD_URL is not set (or is empty)',
        '6: sinks[0].headers.Authorization: environment variable CLOUD_TOKEN is not set (or is empty)',
        '7: sinks[1].password: secret file /nonexistent/pw cannot be read (ENOENT)',
        '8: sinks[2].password: unknown reference: write ${env:NAME}, ${file:/path} or ${secret:NAME/KEY} (or $${ for a literal ${)',
      ]);
    });

    it('never shows a resolved secret in any message, even where the value itself is wrong', () => {
      const text = yaml(
        'sinks:',
        '  - { name: cloud, type: http, url: "https://x/y", method: "${env:METHOD}", headers: { Authorization: "Bearer ${env:TOKEN}" } }',
        '  - { name: m, type: mqtt, url: "mqtt://localhost", topic: "${env:TOKEN}", qos: "${env:TOKEN}" }',
        'pipelines:',
        '  - { name: p, batch: { interval: "${env:TOKEN}" }, filters: [{ device: "${env:BAD_REGEX}" }], sinks: ["${env:TOKEN}"] }',
        '  - { name: q, sinks: ["${env:MISSING}"] }',
      );
      const env = { METHOD: SECRET, TOKEN: SECRET, BAD_REGEX: `(${SECRET}` };
      const err = failure(text, { env });
      expect(err.issues.length).toBeGreaterThanOrEqual(5);
      expect(err.message).not.toContain(SECRET);
      expect(err.message).not.toContain('s3cr3t');
      expect(err.message).toContain('environment variable MISSING is not set');
      expect(err.message).toContain('pipelines.yaml:2: sinks[0].method: "***" is not one of POST, PUT');
    });

    it('lists secret fields (references, credentials written literally) and redacts them', () => {
      const text = yaml(
        'sinks:',
        '  - name: cloud',
        '    type: http',
        '    url: "https://user:pw@ingest.example.com/x"',
        '    headers: { Authorization: "Bearer abc", X-Api-Key: "${env:KEY}", X-Plant: "${env:PLANT}" }',
        '  - { name: m, type: mqtt, url: "mqtt://localhost", topic: t, password: literal }',
        '  - { name: hub, type: azure-twin, connectionString: "HostName=h;DeviceId=d;SharedAccessKey=a2V5" }',
      );
      const file = parsePipelinesFile(text, 'p.yaml', { env: { KEY: SECRET, PLANT: 'plant1' } });
      expect(secretFieldPaths(file).sort()).toEqual(
        [
          'sinks[0].url',
          'sinks[0].headers.Authorization',
          'sinks[0].headers.X-Api-Key',
          'sinks[0].headers.X-Plant', // from a reference: whoever wrote it wanted it out of the file
          'sinks[1].password',
          'sinks[2].connectionString',
        ].sort(),
      );
      const shown = JSON.stringify(redactPipelinesFile(file));
      for (const secret of [SECRET, 'Bearer abc', 'pw@', 'literal', 'SharedAccessKey', 'plant1']) expect(shown).not.toContain(secret);
      expect(redactPipelinesFile(file)).toMatchObject({ sinks: [{ name: 'cloud', headers: { Authorization: '***' } }, { topic: 't' }, {}] });
    });
  });

  describe('TLS files', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'pipelines-tls-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('reads ca/cert/key given as paths (relative ones from the file`s folder) and keeps inline PEM', () => {
      writeFileSync(join(dir, 'ca.pem'), CA_PEM);
      writeFileSync(join(dir, 'client.key'), KEY_PEM);
      const inline = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
      writeFileSync(
        join(dir, 'pipelines.yaml'),
        yaml('sinks:', '  - name: m', '    type: mqtt', '    url: mqtts://localhost:8883', '    topic: t', '    tls:', '      ca: ca.pem', `      key: ${join(dir, 'client.key')}`, `      cert: ${JSON.stringify(inline)}`),
      );
      const file = loadPipelinesFile(join(dir, 'pipelines.yaml'), { env: {} });
      expect(file.sinks[0].tls).toEqual({ ca: CA_PEM, key: KEY_PEM, cert: inline, rejectUnauthorized: true });
      expect(JSON.stringify(redactPipelinesFile(file))).not.toContain('KEY FILE');
    });

    it('names the field of a TLS file that cannot be read', () => {
      const path = join(dir, 'pipelines.yaml');
      writeFileSync(path, yaml('sinks:', '  - name: m', '    type: mqtt', '    url: mqtts://localhost:8883', '    topic: t', '    tls:', '      ca: missing-ca.pem'));
      expect(() => loadPipelinesFile(path, { env: {} })).toThrow(`${path}:7: sinks[0].tls.ca: cannot read missing-ca.pem (ENOENT)`);
    });
  });

  describe('loadPipelinesFile', () => {
    it('reports a file it cannot read as a Config error naming it', () => {
      const err = (() => {
        try {
          loadPipelinesFile('/nonexistent/pipelines.yaml');
        } catch (e) {
          return e as GatewayError;
        }
      })();
      expect(err?.kind).toBe(ErrorKind.Config);
      expect(err?.message).toBe('/nonexistent/pipelines.yaml: cannot read the pipelines file (ENOENT)');
    });

    it('loads the example file the gateway ships as its default, without any environment', () => {
      const file = loadPipelinesFile(join(FIXTURES, 'pipelines.example.yaml'), { env: {} });
      expect(file.sinks).toEqual([expect.objectContaining({ name: 'local-mqtt', type: 'mqtt', url: 'mqtt://localhost:1883' })]);
      expect(file.pipelines.map((p) => [p.name, p.transform, p.sinks])).toEqual([
        ['telemetry', 'flat', ['local-mqtt']],
        ['state', 'twin', ['local-mqtt']],
      ]);
    });

    it('loads a file using every sink type, secrets from env and from a file next to it', () => {
      const dir = mkdtempSync(join(tmpdir(), 'pipelines-certs-'));
      try {
        for (const name of ['ca.pem', 'gateway.crt', 'gateway.key']) writeFileSync(join(dir, name), pem(`contents of ${name}`));
        const env = { CLOUD_TOKEN: 'tok', TLS_DIR: dir, AZURE_CONNECTION_STRING: 'HostName=hub.azure-devices.net;DeviceId=gw;SharedAccessKey=c2Vj' };
        const file = loadPipelinesFile(join(FIXTURES, 'pipelines.all-sinks.yaml'), { env });
        expect(file.sinks.map((s) => s.type)).toEqual(['http', 'mqtt', 'aws-shadow', 'azure-twin']);
        expect(file.sinks[1]).toMatchObject({ password: 'broker-pass-123', tls: { ca: pem('contents of ca.pem') } });
        expect(file.sinks[2].tls).toMatchObject({ key: pem('contents of gateway.key') });
        expect(file.pipelines[0]).toMatchObject({ transform: 'flat', gzip: true, batch: { count: 500, intervalMs: 2000 } });
        expect(JSON.stringify(redactPipelinesFile(file))).not.toMatch(/broker-pass-123|c2Vj|contents of gateway.key|"Bearer tok"/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

describe('secret references in the pipelines file', () => {
  it('resolves ${secret:NAME/KEY} from the app service’s own store (POST /api/v3/secret)', () => {
    const store = { read: (name: string) => (name === 'cloud' ? { password: 'stored-pw' } : undefined) };
    const text = yaml(
      'sinks:',
      '  - { name: out, type: mqtt, url: "mqtt://broker:1883", topic: t, username: u, password: "${secret:cloud/password}" }',
      'pipelines:',
      '  - { name: p, sinks: [out] }',
    );
    const file = parsePipelinesFile(text, 'p.yaml', { env: {}, store });
    expect(file.sinks[0]).toMatchObject({ password: 'stored-pw' });
    expect(() => parsePipelinesFile(text.replace('cloud/password', 'cloud/pin'), 'p.yaml', { env: {}, store })).toThrow(/secret cloud has no key pin/);
  });
});
