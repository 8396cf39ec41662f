import { setErrorLogger, setWarningLogger } from 'node-opcua-client';
import { ErrorKind, GatewayError } from '@gw/contracts';
import { opcuaSettings } from '../descriptor';
import type { Pki } from '../security/types';
import { MAX_BROWSE_SESSIONS, withBrowseSession } from './session';

// node-opcua's load-time notes (PKCS#1 on Node 20) would print after the test.
setWarningLogger(() => undefined);
setErrorLogger(() => undefined);

describe('browse sessions', () => {
  it(`are at most ${MAX_BROWSE_SESSIONS} at once; one more is a 503, and a place frees when one ends`, async () => {
    const waiting: Array<(err: Error) => void> = [];
    const deps = { settings: opcuaSettings.parse({}), pki: () => new Promise<Pki>((_resolve, reject) => waiting.push(reject)) };
    const running = Array.from({ length: MAX_BROWSE_SESSIONS }, () => withBrowseSession(deps, 'opc.tcp://plc:4840', async () => 1));
    const refused = await withBrowseSession(deps, 'opc.tcp://plc:4840', async () => 1).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).kind).toBe(ErrorKind.ServiceUnavailable);
    expect((refused as GatewayError).message).toContain('browse sessions are open already');

    waiting.shift()!(new Error('gone'));
    await expect(running[0]).rejects.toThrow('gone');
    const next = withBrowseSession(deps, 'opc.tcp://plc:4840', async () => 1);
    for (const reject of waiting.splice(0)) reject(new Error('gone'));
    await expect(Promise.all([...running.slice(1), next])).rejects.toThrow('gone');
  });
});
