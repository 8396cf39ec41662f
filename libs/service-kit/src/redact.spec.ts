import { z } from 'zod';
import { loadConfig, secret, text } from './config';
import { redactConfig, redactString } from './redact';

describe('redactConfig', () => {
  it('hides marked secrets, secret-looking keys and URL credentials, deeply', () => {
    const schema = z.object({ twin: secret(text()), host: text() });
    const config = loadConfig(schema, { GW_TWIN: 'opaque-token-value', GW_HOST: 'localhost' });
    expect(redactConfig(config)).toEqual({ twin: '***', host: 'localhost' });
    const view = redactConfig({
      host: 'localhost',
      apiKey: 'k',
      database: 'postgres://gw:hunter2@db:5432/gw',
      mqtt: { brokerUrl: 'mqtt://user:pw@broker:1883', password: 'pw', clientId: 'core-data' },
      peers: [{ url: 'https://a:b@peer' }],
      nothing: null,
      skipped: undefined,
      when: new Date(0),
    });
    expect(view).toEqual({
      host: 'localhost',
      apiKey: '***',
      database: 'postgres://gw:***@db:5432/gw',
      mqtt: { brokerUrl: 'mqtt://user:***@broker:1883', password: '***', clientId: 'core-data' },
      peers: [{ url: 'https://a:***@peer' }],
      nothing: null,
      when: '1970-01-01T00:00:00.000Z',
    });
  });

  it('honours the secret() marks of nested settings, whatever copies were made above them', () => {
    const driverSettings = loadConfig(z.object({ pin: secret(text()), unit: text() }), { GW_PIN: '4711', GW_UNIT: '1' });
    const top = loadConfig(z.object({ twin: secret(text()) }), { GW_TWIN: 'opaque' });
    // A spread copy (as device-sdk and the gateway make) drops the top-level marks but not the nested ones.
    const copied = { ...top, driverSettings, hosted: [{ driver: 'fake', driverSettings }] };
    expect(redactConfig(copied, ['twin'])).toEqual({
      twin: '***',
      driverSettings: { pin: '***', unit: '1' },
      hosted: [{ driver: 'fake', driverSettings: { pin: '***', unit: '1' } }],
    });
    // A nested object's marks hide its own keys, not the same name elsewhere at its level or above.
    expect(redactConfig({ pin: 'top-level pin is not marked', driverSettings })).toEqual({
      pin: 'top-level pin is not marked',
      driverSettings: { pin: '***', unit: '1' },
    });
  });

  it('honours explicit secret keys', () => {
    expect(redactConfig({ connection: 'abc', port: 1 }, ['connection'])).toEqual({ connection: '***', port: 1 });
  });

  it('hides key=value secrets inside connection strings', () => {
    expect(redactString('HostName=hub.azure-devices.net;DeviceId=gw;SharedAccessKey=c2VjcmV0')).toBe(
      'HostName=hub.azure-devices.net;DeviceId=gw;SharedAccessKey=***',
    );
    expect(redactString('host=db user=gw password=hunter2 dbname=x')).toBe('host=db user=gw password=*** dbname=x');
    expect(redactString('http://plain:8080/path')).toBe('http://plain:8080/path');
  });
});
