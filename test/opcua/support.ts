/**
 * What the OPC UA suites share: the simulated server (apps/opcua-sim) started
 * in-process on a free port, a PKI folder per suite (the server's and the
 * driver's certificates, never ~/.config; removed after the suite), and a
 * driver with fast reconnects and a recording context.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AsyncValues, DriverContext } from '@gw/device-sdk/driver';
import { loadDriverSettings } from '@gw/device-sdk/driver-host';
import { OpcuaDriver, opcuaDriver, OpcuaSettings } from '@gw/drivers/opcua';
import { RunningOpcuaSim, startOpcuaSimulator, OpcuaSimOptions } from '../../apps/opcua-sim/src/simulator';
import { setErrorLogger, setWarningLogger } from 'node-opcua';
import { freePort } from '../support/brokers';

// Jest's node environment gives the test realm Node's own ArrayBuffer while typed
// arrays made in the test realm (as node-opcua makes them to encode numeric arrays)
// sit on the realm's ArrayBuffer, so node-opcua's `buffer instanceof ArrayBuffer`
// check fails under Jest only (outside Jest there is one realm). Recognise both.
if (!Object.prototype.hasOwnProperty.call(ArrayBuffer, Symbol.hasInstance)) {
  Object.defineProperty(ArrayBuffer, Symbol.hasInstance, {
    value: (v: unknown) => Object.prototype.toString.call(v) === '[object ArrayBuffer]',
  });
}

// node-opcua's own console output (address space notes, PKCS#1 warnings) would bury the test output.
setWarningLogger(() => undefined);
setErrorLogger(() => undefined);

/**
 * The certificates of the suite that imports this module (each suite has its
 * own module registry): the sim's server certificate and the driver's own,
 * trusting nothing. Made once per suite (about a second) and removed when the
 * suite ends, so no run leaves anything in tmp.
 */
export const PKI_DIR = mkdtempSync(join(tmpdir(), 'gw-opcua-test-pki-'));
afterAll(() => rmSync(PKI_DIR, { recursive: true, force: true }));

export async function startSim(options: Partial<OpcuaSimOptions> = {}): Promise<RunningOpcuaSim> {
  return startOpcuaSimulator({ host: '127.0.0.1', port: options.port ?? (await freePort()), pkiDir: PKI_DIR, tickMs: 200, ...options });
}

/** The driver's settings as GW_OPCUA_* would give them, with fast reconnects. */
export function testSettings(env: Record<string, string> = {}): OpcuaSettings {
  return loadDriverSettings(opcuaDriver, {
    GW_OPCUA_PKI_DIR: join(PKI_DIR, 'gateway'),
    GW_OPCUA_RECONNECT_MIN: '100ms',
    GW_OPCUA_RECONNECT_MAX: '500ms',
    GW_OPCUA_CONNECT_TIMEOUT: '5s',
    GW_OPCUA_REQUEST_TIMEOUT: '5s',
    GW_OPCUA_KEEP_ALIVE_INTERVAL: '1s',
    ...env,
  }) as unknown as OpcuaSettings;
}

/** A DriverContext recording pushes, with a wait for the first push that matches. */
export class RecordingContext implements DriverContext {
  readonly serviceName = 'device-opcua-test';
  readonly pushed: AsyncValues[] = [];
  private waiters: Array<() => void> = [];
  readonly logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

  pushValues(values: AsyncValues): void {
    this.pushed.push(values);
    for (const wake of this.waiters.splice(0)) wake();
  }

  async until<T>(find: (pushed: AsyncValues[]) => T | undefined, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find(this.pushed);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`nothing matching within ${timeoutMs} ms; pushed ${this.pushed.length}: ${JSON.stringify(this.pushed.slice(-5), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

export async function startedDriver(env: Record<string, string> = {}): Promise<{ driver: OpcuaDriver; context: RecordingContext }> {
  const driver = new OpcuaDriver(testSettings(env));
  const context = new RecordingContext();
  await driver.initialize(context);
  await driver.start();
  return { driver, context };
}
