import { Event } from '@gw/contracts';
import { EdgeXHttpClient, HttpClientOptions } from './http-client';

/**
 * core-command's REST API as the app service uses it to drive actuators.
 * Errors are GatewayErrors with the kind of core-command's status (404 unknown
 * device or command, 405 not writable, 400 bad value, 423 locked, 503/504 the
 * device did not answer), so callers can report them as they are.
 */
export class CommandClient {
  private readonly http: EdgeXHttpClient;

  constructor(options: HttpClientOptions) {
    this.http = new EdgeXHttpClient(options);
  }

  /** Reads a command (or resource) of a device: the event the device service returned (published too with `pushEvent`). */
  async get(deviceName: string, command: string, options: CommandFlags = {}): Promise<Event> {
    const reply = await this.http.request<{ event: Event }>('GET', path(deviceName, command, options));
    return reply.event;
  }

  /** Writes `values` (EdgeX SET parameters: resource name → text) to a command (or resource); `pushEvent: false` publishes no event of the write. */
  async set(deviceName: string, command: string, values: Record<string, string>, options: CommandFlags = {}): Promise<void> {
    await this.http.request('PUT', path(deviceName, command, options), values);
  }
}

/** EdgeX's `ds-pushevent` (unset: the device service's default). */
export interface CommandFlags {
  pushEvent?: boolean;
}

function path(deviceName: string, command: string, options: CommandFlags): string {
  const query = options.pushEvent === undefined ? '' : `?ds-pushevent=${options.pushEvent}`;
  return `/device/name/${encodeURIComponent(deviceName)}/${encodeURIComponent(command)}${query}`;
}
