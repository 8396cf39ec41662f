import { API_VERSION, Device, DeviceProfile, DeviceService, ErrorKind, GatewayError, ProvisionWatcher, errorKindForStatus } from '@gw/contracts';
import { EdgeXHttpClient, HttpClientOptions } from './http-client';

/** One item's answer in a batch (207 multi-status) request. */
export interface ItemOutcome {
  statusCode: number;
  message?: string;
  id?: string;
}

/** Whether a batch item was accepted: a numeric 2xx status, nothing else. */
export function itemAccepted(outcome: Partial<ItemOutcome> | undefined): boolean {
  const status = outcome?.statusCode;
  return typeof status === 'number' && status >= 200 && status < 300;
}

/**
 * A batch answer as one outcome per item sent, in order; an answer that is
 * not a list of as many items is refused whole (Communication), so a short
 * or malformed answer never passes for success.
 */
export function batchOutcomes(answer: unknown, sent: number, what: string): ItemOutcome[] {
  if (!Array.isArray(answer) || answer.length !== sent) {
    const got = Array.isArray(answer) ? `${answer.length} item${answer.length === 1 ? '' : 's'}` : 'no list';
    throw new GatewayError(ErrorKind.Communication, `metadata answered ${got} for ${sent} ${what}${sent === 1 ? '' : 's'}`);
  }
  return answer.map((item: unknown) => {
    const outcome = (item && typeof item === 'object' ? item : {}) as Partial<ItemOutcome>;
    return { ...outcome, statusCode: typeof outcome.statusCode === 'number' ? outcome.statusCode : 0 } as ItemOutcome;
  });
}

/** Most pages one listing reads (a peer that never says it is done must not page forever). */
export const MAX_PAGES = 10_000;

export interface MetadataClientOptions extends HttpClientOptions {
  /** Listings are fetched page by page until totalCount is reached, so callers always get the whole list. */
  pageSize?: number;
  /** Most pages one listing reads (default MAX_PAGES). */
  maxPages?: number;
}

/** core-metadata's REST API as device services and core-command use it. */
export class MetadataClient {
  private readonly http: EdgeXHttpClient;
  private readonly pageSize: number;
  private readonly maxPages: number;

  constructor(options: MetadataClientOptions) {
    this.http = new EdgeXHttpClient(options);
    this.pageSize = options.pageSize ?? 500;
    this.maxPages = options.maxPages ?? MAX_PAGES;
  }

  async device(name: string): Promise<Device> {
    return (await this.http.request<{ device: Device }>('GET', `/device/name/${encodeURIComponent(name)}`)).device;
  }

  async profile(name: string): Promise<DeviceProfile> {
    return (await this.http.request<{ profile: DeviceProfile }>('GET', `/deviceprofile/name/${encodeURIComponent(name)}`)).profile;
  }

  async deviceService(name: string): Promise<DeviceService> {
    return (await this.http.request<{ service: DeviceService }>('GET', `/deviceservice/name/${encodeURIComponent(name)}`)).service;
  }

  devicesOfService(serviceName: string): Promise<Device[]> {
    return this.all<Device>(`/device/service/name/${encodeURIComponent(serviceName)}`, 'devices');
  }

  devicesOfProfile(profileName: string): Promise<Device[]> {
    return this.all<Device>(`/device/profile/name/${encodeURIComponent(profileName)}`, 'devices');
  }

  /** One page of every device, as metadata's own listing orders it; 416 past the end. */
  async devicesPage(offset: number, limit: number): Promise<{ totalCount: number; devices: Device[] }> {
    const page = await this.http.request<{ totalCount: number; devices?: Device[] }>('GET', `/device/all?offset=${offset}&limit=${limit}`);
    return { totalCount: page.totalCount, devices: page.devices ?? [] };
  }

  allDevices(): Promise<Device[]> {
    return this.all<Device>('/device/all', 'devices');
  }

  allProfiles(): Promise<DeviceProfile[]> {
    return this.all<DeviceProfile>('/deviceprofile/all', 'profiles');
  }

  allWatchers(): Promise<ProvisionWatcher[]> {
    return this.all<ProvisionWatcher>('/provisionwatcher/all', 'provisionWatchers');
  }

  watchersOfService(serviceName: string): Promise<ProvisionWatcher[]> {
    return this.all<ProvisionWatcher>(`/provisionwatcher/service/name/${encodeURIComponent(serviceName)}`, 'provisionWatchers');
  }

  /** Adds the service, or updates it when it is already registered (device services do this at every start). */
  async registerDeviceService(service: Omit<DeviceService, 'id' | 'created' | 'modified'>): Promise<void> {
    const [outcome] = await this.batch('POST', '/deviceservice', 'service', [service]);
    if (outcome.statusCode === 409) {
      this.expectOk(await this.batch('PATCH', '/deviceservice', 'service', [service]));
      return;
    }
    this.expectOk([outcome]);
  }

  async addDevice(device: Device): Promise<string> {
    const [outcome] = this.expectOk(await this.batch('POST', '/device', 'device', [device]));
    return outcome.id ?? '';
  }

  /** Adds several devices in one request; each one's outcome in order (a refused device does not stop the others). */
  addDevices(devices: Device[]): Promise<ItemOutcome[]> {
    return this.batch('POST', '/device', 'device', devices);
  }

  async addWatcher(watcher: ProvisionWatcher): Promise<string> {
    const [outcome] = this.expectOk(await this.batch('POST', '/provisionwatcher', 'provisionWatcher', [watcher]));
    return outcome.id ?? '';
  }

  /** Uploads a profile file as `POST /deviceprofile/uploadfile` does (metadata parses it, messages name file:line); metadata's message (warnings) with the id. */
  async uploadProfile(file: { name: string; text: string }): Promise<{ id?: string; message?: string }> {
    return this.http.upload<{ id?: string; message?: string }>('POST', '/deviceprofile/uploadfile', file);
  }

  async deleteDevice(name: string): Promise<void> {
    await this.http.request('DELETE', `/device/name/${encodeURIComponent(name)}`);
  }

  async deleteProfile(name: string): Promise<void> {
    await this.http.request('DELETE', `/deviceprofile/name/${encodeURIComponent(name)}`);
  }

  async deleteWatcher(name: string): Promise<void> {
    await this.http.request('DELETE', `/provisionwatcher/name/${encodeURIComponent(name)}`);
  }

  async addProfile(profile: DeviceProfile): Promise<string> {
    const [outcome] = this.expectOk(await this.batch('POST', '/deviceprofile', 'profile', [profile]));
    return outcome.id ?? '';
  }

  async patchDevice(patch: Partial<Device> & { name: string }): Promise<void> {
    this.expectOk(await this.batch('PATCH', '/device', 'device', [patch]));
  }

  /** Replaces a profile (PUT /deviceprofile): metadata refuses a change that breaks a device using it. */
  async updateProfile(profile: DeviceProfile): Promise<void> {
    this.expectOk(await this.batch('PUT', '/deviceprofile', 'profile', [profile]));
  }

  /** Pages until totalCount is reached (without one: until a page is short), or a page is empty; at most MAX_PAGES pages. */
  private async all<T>(path: string, key: string): Promise<T[]> {
    const items: T[] = [];
    for (let pages = 0; pages < this.maxPages; pages++) {
      // The next page starts after what came (metadata may have capped limit below pageSize).
      const offset = items.length;
      const page = await this.http.request<{ totalCount?: unknown } & Record<string, T[] | undefined>>('GET', `${path}?offset=${offset}&limit=${this.pageSize}`).catch(
        (err: unknown) => {
          // EdgeX answers 416 for an offset past the end of an empty list.
          if (GatewayError.is(err, ErrorKind.RangeNotSatisfiable)) return { totalCount: 0 } as { totalCount?: unknown } & Record<string, T[] | undefined>;
          throw err;
        },
      );
      const found = Array.isArray(page?.[key]) ? (page[key] as T[]) : [];
      items.push(...found);
      if (found.length === 0) return items;
      // Without a totalCount, a short page is the last (with one, metadata may cap limit below pageSize: its count decides).
      if (typeof page?.totalCount === 'number' ? items.length >= page.totalCount : found.length < this.pageSize) return items;
    }
    throw new GatewayError(ErrorKind.Communication, `metadata's listing ${path} did not end within ${this.maxPages} pages of ${this.pageSize}`);
  }

  private async batch(method: string, path: string, key: string, items: unknown[]): Promise<ItemOutcome[]> {
    return batchOutcomes(await this.http.request<unknown>(method, path, items.map((item) => ({ apiVersion: API_VERSION, [key]: item }))), items.length, key);
  }

  private expectOk(outcomes: ItemOutcome[]): ItemOutcome[] {
    for (const outcome of outcomes) {
      if (!itemAccepted(outcome)) {
        const kind = outcome.statusCode === 409 ? ErrorKind.DuplicateName : outcome.statusCode ? errorKindForStatus(outcome.statusCode) : ErrorKind.Communication;
        throw new GatewayError(kind, outcome.message ?? `metadata answered ${outcome.statusCode || 'an item without a status'}`);
      }
    }
    return outcomes;
  }
}
