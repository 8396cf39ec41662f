import { verifySasToken } from '../../../../test/app-service/support/azure-hub-emulator';
import { createSasToken, deviceResourceUri, mqttUserName, parseConnectionString } from './azure-sas';

// Known vector, computed independently with Python's hmac/hashlib:
//   key = base64('secret-key-for-the-azure-sas-vector'); sr = quote('myhub.azure-devices.net/devices/pump-1', safe='')
//   sig = base64(HMAC-SHA256(b64decode(key), sr + '\n' + '1700000018'))
const KEY = 'c2VjcmV0LWtleS1mb3ItdGhlLWF6dXJlLXNhcy12ZWN0b3I=';
const URI = 'myhub.azure-devices.net/devices/pump-1';
const EXPIRY = 1_700_000_018;
const SIG = 'lQDO4PGjc+mOwD6OI/RbXlNyMTkkB0MOsrUYqCzSzfY=';
const BEFORE_EXPIRY = (EXPIRY - 60) * 1000;

describe('SAS tokens', () => {
  it('signs the url-encoded resource URI and expiry with the decoded key (known vector)', () => {
    expect(createSasToken({ resourceUri: URI, key: KEY, expiry: EXPIRY })).toBe(
      `SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fpump-1&sig=${encodeURIComponent(SIG)}&se=${EXPIRY}`,
    );
  });

  it('names the hub policy with skn, which is not part of the signed text', () => {
    const token = createSasToken({ resourceUri: URI, key: KEY, expiry: EXPIRY, policyName: 'device' });
    expect(token).toContain(`&sig=${encodeURIComponent(SIG)}&`);
    expect(token.endsWith('&skn=device')).toBe(true);
    expect(verifySasToken(token, KEY, URI, BEFORE_EXPIRY)).toEqual({ ok: true, expiry: EXPIRY, policyName: 'device' });
  });

  it('is accepted by the emulator hub until it expires, and only for its resource and key', () => {
    const token = createSasToken({ resourceUri: URI, key: KEY, expiry: EXPIRY });
    expect(verifySasToken(token, KEY, URI, BEFORE_EXPIRY)).toEqual({ ok: true, expiry: EXPIRY });
    expect(verifySasToken(token, KEY, URI, EXPIRY * 1000)).toEqual({ ok: false, reason: 'token expired' });
    expect(verifySasToken(token, KEY, 'myhub.azure-devices.net/devices/pump-2', BEFORE_EXPIRY)).toMatchObject({ ok: false });
    const otherKey = Buffer.from('another-key').toString('base64');
    expect(verifySasToken(token, otherKey, URI, BEFORE_EXPIRY)).toEqual({ ok: false, reason: 'signature mismatch' });
  });

  it('builds the resource URI and MQTT user name IoT Hub expects', () => {
    expect(deviceResourceUri('myhub.azure-devices.net', 'pump-1')).toBe(URI);
    expect(mqttUserName('myhub.azure-devices.net', 'pump-1')).toBe('myhub.azure-devices.net/pump-1/?api-version=2021-04-12');
  });
});

describe('connection strings', () => {
  it('reads a device connection string (keys keep their = padding)', () => {
    expect(parseConnectionString(`HostName=myhub.azure-devices.net;DeviceId=gw-1;SharedAccessKey=${KEY}`)).toEqual({
      hostName: 'myhub.azure-devices.net',
      gatewayHostName: undefined,
      deviceId: 'gw-1',
      policyName: undefined,
      key: KEY,
    });
  });

  it('reads a hub policy connection string', () => {
    expect(parseConnectionString(`HostName=myhub.azure-devices.net;SharedAccessKeyName=device;SharedAccessKey=${KEY}`)).toMatchObject({
      deviceId: undefined,
      policyName: 'device',
    });
  });

  it.each([
    [`DeviceId=gw-1;SharedAccessKey=${KEY}`, /HostName missing/],
    ['HostName=h;DeviceId=gw-1', /SharedAccessKey missing/],
    [`HostName=h;SharedAccessKey=${KEY}`, /needs DeviceId .* or SharedAccessKeyName/],
    [`HostName=h;DeviceId=d;SharedAccessKeyName=p;SharedAccessKey=${KEY}`, /both DeviceId and SharedAccessKeyName/],
    ['HostName=h;DeviceId=d;x509=true', /X.509/],
    ['HostName=h;DeviceId=d;SharedAccessKey=not base64!', /SharedAccessKey is not base64/],
  ])('refuses %s, naming the missing or wrong part', (text, problem) => {
    expect(() => parseConnectionString(text)).toThrow(problem);
  });

  it('never repeats the key in an error', () => {
    const secret = 'c3VwZXItc2VjcmV0LWtleQ';
    for (const text of [`HostName=h;SharedAccessKey=${secret}`, `HostName=h;DeviceId=d;${secret}`, `HostName=h;DeviceId=d;SharedAccessKey=${secret}!`]) {
      expect(() => parseConnectionString(text)).toThrow();
      try {
        parseConnectionString(text);
      } catch (err) {
        expect((err as Error).message).not.toContain(secret);
      }
    }
  });
});
