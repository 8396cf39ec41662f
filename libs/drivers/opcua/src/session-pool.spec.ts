import { createServer } from 'node:net';
import { ErrorKind, GatewayError, ManualClock, Device } from '@gw/contracts';
import { loadDriverSettings } from '@gw/device-sdk/driver-host';
import { setErrorLogger, setWarningLogger } from 'node-opcua-client';
import { opcuaDriver, OpcuaSettings } from './descriptor';
import { parseEndpoint } from './endpoint';
import { OpcuaConnection } from './session-pool';

setWarningLogger(() => undefined); // node-opcua's notes on loading and connect failures
setErrorLogger(() => undefined);

/** A port nothing listens on: every connect is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('OpcuaConnection reconnects', () => {
  it('after each failure waits the back-off (doubling from GW_OPCUA_RECONNECT_MIN to _MAX, ±20 % jitter), failing requests at once meanwhile', async () => {
    const settings = loadDriverSettings(opcuaDriver, { GW_OPCUA_RECONNECT_MIN: '1s', GW_OPCUA_RECONNECT_MAX: '8s', GW_OPCUA_CONNECT_TIMEOUT: '2s' }) as unknown as OpcuaSettings;
    const endpoint = parseEndpoint({ name: 'plc', protocols: { opcua: { Endpoint: `opc.tcp://127.0.0.1:${await closedPort()}` } } } as unknown as Device);
    const clock = new ManualClock();
    const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    const connection = new OpcuaConnection(endpoint, { settings, logger: quiet, clock, security: { clientOptions: async () => ({ client: {} }), describeFailure: () => undefined } });
    try {
      await expect(connection.session()).rejects.toThrow(/cannot open a session on opc.tcp:\/\/127.0.0.1/);
      const delays: number[] = [];
      for (let failure = 1; failure <= 5; failure++) {
        expect(connection.stats()).toMatchObject({ state: 'waiting', failures: failure });
        const wait = clock.nextTimerIn!;
        delays.push(wait);
        // Meanwhile a request fails at once, naming the last error and the next attempt.
        const refused = await connection.session('reading').catch((err: GatewayError) => err);
        expect(refused).toBeInstanceOf(GatewayError);
        expect((refused as GatewayError).kind).toBe(ErrorKind.Communication);
        expect((refused as GatewayError).message).toMatch(new RegExp(`^reading: not connected to opc.tcp://.*; next attempt in ${wait} ms$`));
        await clock.advance(wait - 1);
        expect(connection.stats().failures).toBe(failure); // not before its time
        await clock.advance(1);
        await connection.session().catch(() => undefined); // the attempt, refused
      }
      const base = [1000, 2000, 4000, 8000, 8000];
      delays.forEach((d, i) => {
        expect(d).toBeGreaterThanOrEqual(base[i] * 0.8);
        expect(d).toBeLessThanOrEqual(Math.min(base[i] * 1.2, 8000));
      });
    } finally {
      await connection.close();
    }
  });
});
