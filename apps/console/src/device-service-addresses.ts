/**
 * Where each device service answers: the baseAddress it registered with
 * core-metadata (device services register themselves on start), looked up
 * on first use and kept for a short while.
 */
import { ErrorKind, GatewayError, withTimeout } from '@gw/contracts';

const KEEP_MS = 10_000;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/;

export class DeviceServiceAddresses {
  private readonly known = new Map<string, { baseAddress: string; at: number }>();

  constructor(
    private readonly metadataUrl: string,
    private readonly apiKey: string | undefined,
    /** How long core-metadata may take to answer (GW_CONSOLE_UPSTREAM_TIMEOUT). */
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async baseAddress(serviceName: string): Promise<string> {
    if (!NAME.test(serviceName)) throw new GatewayError(ErrorKind.ContractInvalid, `device service name "${serviceName}" is malformed`);
    const kept = this.known.get(serviceName);
    if (kept && this.now() - kept.at < KEEP_MS) return kept.baseAddress;
    const url = `${this.metadataUrl.replace(/\/+$/, '')}/api/v3/deviceservice/name/${encodeURIComponent(serviceName)}`;
    const stop = new AbortController();
    const body = await withTimeout(this.lookUp(url, serviceName, stop.signal), this.timeoutMs, `core-metadata (the address of device service "${serviceName}")`).finally(() =>
      stop.abort(),
    );
    const baseAddress = body.service?.baseAddress;
    if (!baseAddress || !/^https?:\/\//.test(baseAddress)) {
      throw new GatewayError(ErrorKind.ServiceUnavailable, `device service "${serviceName}" registered no http(s) baseAddress`);
    }
    this.known.set(serviceName, { baseAddress, at: this.now() });
    return baseAddress;
  }

  private async lookUp(url: string, serviceName: string, signal: AbortSignal): Promise<{ service?: { baseAddress?: string } }> {
    const res = await fetch(url, { headers: this.apiKey ? { 'x-api-key': this.apiKey } : {}, signal });
    if (res.status === 404) throw new GatewayError(ErrorKind.EntityNotFound, `core-metadata knows no device service "${serviceName}"`);
    if (!res.ok) throw new GatewayError(ErrorKind.ServiceUnavailable, `core-metadata answered ${res.status} for device service "${serviceName}"`);
    return (await res.json()) as { service?: { baseAddress?: string } };
  }
}
