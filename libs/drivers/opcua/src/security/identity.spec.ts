import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { userIdentity } from './identity';

const url = 'opc.tcp://plc:4840';
let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'opcua-identity-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('userIdentity', () => {
  const sources = () => ({ env: { PLC_PASSWORD: 's3cret' }, baseDir: dir });

  it('is anonymous without credentials', () => {
    expect(userIdentity({ url, key: 'k' })).toEqual({ kind: 'anonymous' });
  });

  it('takes a literal password, an ${env:} or ${file:} reference, and $${ for a literal ${', () => {
    writeFileSync(join(dir, 'pw'), 'from-file\n');
    const id = (password: string) => userIdentity({ url, key: 'k', username: 'op', password }, 'd', sources());
    expect(id('plain')).toEqual({ kind: 'username', userName: 'op', password: 'plain' });
    expect(id('${env:PLC_PASSWORD}')).toMatchObject({ password: 's3cret' });
    expect(id('${file:pw}')).toMatchObject({ password: 'from-file' });
    expect(id('$${env:X}')).toMatchObject({ password: '${env:X}' });
  });

  it('takes a ${secret:NAME/KEY} stored with POST /api/v3/secret', () => {
    const store = { read: (name: string) => (name === 'plc1' ? { password: 'stored' } : undefined) };
    const id = (password: string) => () => userIdentity({ url, key: 'k', username: 'op', password }, 'press-1', { ...sources(), store });
    expect(id('${secret:plc1/password}')()).toMatchObject({ password: 'stored' });
    expect(id('${secret:plc2/password}')).toThrow('device "press-1": protocol property Password: secret plc2 is not stored (POST /api/v3/secret to this service)');
    expect(id('${secret:plc1/pin}')).toThrow('protocol property Password: secret plc1 has no key pin');
    expect(() => userIdentity({ url, key: 'k', username: 'op', password: '${secret:plc1/password}' }, 'd', sources())).toThrow('no secret store here');
  });

  it('names the device and property of a bad credential, never the password', () => {
    const id = (input: object) => () => userIdentity({ url, key: 'k', ...input }, 'press-1', sources());
    expect(id({ username: 'op', password: '${env:MISSING}' })).toThrow('device "press-1": protocol property Password: environment variable MISSING is not set (or is empty)');
    expect(id({ username: 'op' })).toThrow('protocol property Password: is required with Username "op"');
    expect(id({ password: 'hunter2' })).toThrow(/^device "press-1": protocol property Username: is required with Password$/);
    expect(id({ userCertFile: join(dir, 'none.pem'), userKeyFile: join(dir, 'none.key') })).toThrow(/protocol property UserCertificate: .*none\.pem is not a readable PEM or DER certificate \(ENOENT\)/);
    expect(id({ userKeyFile: 'k.pem' })).toThrow('protocol property UserCertificate: is required with UserPrivateKey');
    expect(id({ username: 'op', password: 'x', userCertFile: 'c.pem' })).toThrow('give a user name and password or a user certificate, not both');
  });
});
