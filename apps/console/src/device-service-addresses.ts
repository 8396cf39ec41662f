/**
 * Where each device service answers: the baseAddress it registered with
 * core-metadata (device services register themselves on start), looked up
 * on first use and kept for a short while.
 */
import { ErrorKind, GatewayError } from '@gw/contracts';
import type { MetadataClient } from '@gw/clients';

const KEEP_MS = 10_000;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/;

export class DeviceServiceAddresses {
  private readonly known = new Map<string, { baseAddress: string; at: number }>();

  constructor(
    /** core-metadata, asked with the console's key and GW_CONSOLE_UPSTREAM_TIMEOUT. */
    private readonly metadata: Pick<MetadataClient, 'deviceService'>,
    private readonly now: () => number = Date.now,
  ) {}

  async baseAddress(serviceName: string): Promise<string> {
    if (!NAME.test(serviceName)) throw new GatewayError(ErrorKind.ContractInvalid, `device service name "${serviceName}" is malformed`);
    const kept = this.known.get(serviceName);
    if (kept && this.now() - kept.at < KEEP_MS) return kept.baseAddress;
    const baseAddress = (await this.lookUp(serviceName)).baseAddress;
    if (!baseAddress || !/^https?:\/\//.test(baseAddress)) {
      throw new GatewayError(ErrorKind.ServiceUnavailable, `device service "${serviceName}" registered no http(s) baseAddress`);
    }
    this.known.set(serviceName, { baseAddress, at: this.now() });
    return baseAddress;
  }

  /** The registration, or why not: unknown (404), core-metadata silent (504), anything else it says (503). */
  private async lookUp(serviceName: string): Promise<{ baseAddress?: string }> {
    try {
      return await this.metadata.deviceService(serviceName);
    } catch (err) {
      const kind = (err as GatewayError).kind;
      if (kind === ErrorKind.EntityNotFound) throw new GatewayError(ErrorKind.EntityNotFound, `core-metadata knows no device service "${serviceName}"`);
      throw new GatewayError(kind === ErrorKind.Timeout ? ErrorKind.Timeout : ErrorKind.ServiceUnavailable, `core-metadata (the address of device service "${serviceName}"): ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
}
