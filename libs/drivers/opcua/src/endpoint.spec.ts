import { Device, ErrorKind, GatewayError } from '@gw/contracts';
import { parseEndpoint } from './endpoint';

const device = (opcua: Record<string, unknown> | undefined, other: Record<string, Record<string, unknown>> = {}): Device =>
  ({ name: 'plc', profileName: 'p', protocols: { ...other, ...(opcua ? { opcua } : {}) } }) as unknown as Device;

const refusal = (d: Device): string => {
  try {
    parseEndpoint(d);
  } catch (err) {
    expect((err as GatewayError).kind).toBe(ErrorKind.ContractInvalid);
    return (err as Error).message;
  }
  throw new Error('accepted');
};

describe('parseEndpoint', () => {
  it("reads EdgeX's Endpoint and ignores properties it does not know (discovery's ObjectNodeId, BrowseName)", () => {
    const e = parseEndpoint(device({ Endpoint: 'opc.tcp://plc:4840/UA', ObjectNodeId: 'ns=2;s=Press1', BrowseName: 'Press1' }));
    expect(e).toMatchObject({ url: 'opc.tcp://plc:4840/UA', key: 'opc.tcp://plc:4840/UA|||anonymous' });
  });

  it('keys sessions by url, security and identity, so only devices that agree share one', () => {
    const a = parseEndpoint(device({ Endpoint: 'opc.tcp://plc:4840', SecurityPolicy: 'basic256sha256', SecurityMode: 'SignAndEncrypt' }));
    expect(a).toMatchObject({ securityPolicy: 'Basic256Sha256', securityMode: 'SignAndEncrypt' });
    const b = parseEndpoint(device({ Endpoint: 'opc.tcp://plc:4840', SecurityPolicy: 'Basic256Sha256', SecurityMode: 'SignAndEncrypt', Username: 'op', Password: 'x' }));
    const c = parseEndpoint(device({ Endpoint: 'opc.tcp://plc:4840', UserCertificate: '/c.pem', UserPrivateKey: '/k.pem' }));
    expect(new Set([a.key, b.key, c.key]).size).toBe(3);
    expect(c).toMatchObject({ userCertFile: '/c.pem', userKeyFile: '/k.pem' });
  });

  it('never puts the password in the key, yet tells two passwords apart', () => {
    const a = parseEndpoint(device({ Endpoint: 'opc.tcp://plc:4840', Username: 'op', Password: 'hunter2-secret' }));
    const b = parseEndpoint(device({ Endpoint: 'opc.tcp://plc:4840', Username: 'op', Password: 'other' }));
    const again = parseEndpoint(device({ Endpoint: 'opc.tcp://plc:4840', Username: 'op', Password: 'hunter2-secret' }));
    expect(a.key).not.toContain('hunter2-secret');
    expect(a.key).toContain('user:op:');
    expect(a.key).not.toBe(b.key);
    expect(a.key).toBe(again.key);
  });

  it('gives equivalent endpoints one key: host case, a trailing /, the default policy and mode said or not', () => {
    const defaults = { policy: 'Basic256Sha256', mode: 'SignAndEncrypt' } as const;
    const keys = [
      { Endpoint: 'opc.tcp://plc.local:4840/UA' },
      { Endpoint: 'opc.tcp://PLC.Local:4840/UA/' },
      { Endpoint: 'opc.tcp://plc.local:4840/UA', SecurityPolicy: 'Basic256Sha256' },
      { Endpoint: 'opc.tcp://plc.local:4840/UA', SecurityPolicy: 'basic256sha256', SecurityMode: 'SignAndEncrypt' },
    ].map((p) => parseEndpoint(device(p), defaults).key);
    expect(new Set(keys)).toEqual(new Set(['opc.tcp://plc.local:4840/UA|Basic256Sha256|SignAndEncrypt|anonymous']));
    // Different servers, paths or channels stay apart; the URL connected to is the one given.
    expect(parseEndpoint(device({ Endpoint: 'opc.tcp://plc.local:4840/Other' }), defaults).key).not.toBe(keys[0]);
    expect(parseEndpoint(device({ Endpoint: 'opc.tcp://plc.local:4840/UA', SecurityMode: 'Sign' }), defaults).key).not.toBe(keys[0]);
    expect(parseEndpoint(device({ Endpoint: 'opc.tcp://PLC.Local:4840/UA/' }), defaults).url).toBe('opc.tcp://PLC.Local:4840/UA/');
  });

  it('refuses what cannot be an OPC UA endpoint, naming the device and property', () => {
    expect(refusal(device(undefined, { 'modbus-tcp': { Address: 'x' } }))).toBe(
      'device "plc": protocol properties "opcua" are missing (it has modbus-tcp); an OPC UA device needs opcua.Endpoint',
    );
    expect(refusal(device({}))).toMatch(/^device "plc": protocol property opcua.Endpoint is missing/);
    expect(refusal(device({ Endpoint: 'plc:4840' }))).toMatch(/opcua.Endpoint "plc:4840" must be an opc.tcp/);
    expect(refusal(device({ Endpoint: 'http://plc' }))).toMatch(/must be an opc.tcp/);
    expect(refusal(device({ Endpoint: 'opc.tcp://plc:0' }))).toMatch(/port 0/);
    expect(refusal(device({ Endpoint: 'opc.tcp://plc', SecurityMode: 'Encrypt' }))).toMatch(/opcua.SecurityMode must be one of None, Sign, SignAndEncrypt/);
    expect(refusal(device({ Endpoint: 'opc.tcp://plc', Password: 'x' }))).toMatch(/opcua.Password is set without opcua.Username/);
    expect(refusal(device({ Endpoint: 'opc.tcp://plc', UserCertificate: '/c.pem' }))).toMatch(/UserCertificate and opcua.UserPrivateKey go together/);
    expect(refusal(device({ Endpoint: 'opc.tcp://plc', Username: 'u', UserCertificate: '/c', UserPrivateKey: '/k' }))).toMatch(/two identities/);
  });
});
