/**
 * The mapper's client of edgecore's DeviceManagerService on its DMI socket.
 * It registers (MapperRegister with withData, so edgecore answers with the
 * devices and models of our protocol), retrying with the project's backoff
 * while edgecore is not there; when the connection drops (edgecore
 * restarted) or a report finds it gone, it registers again. Each attempt
 * uses a fresh channel: a channel's own reconnect backoff (up to 2 minutes)
 * would otherwise hold the re-registration back after edgecore is back.
 */
import { backoffDelay, Clock, delay } from '@gw/contracts';
import { CallBudget, CallPriority } from './call-budget';
import type { grpc as Grpc } from './dmi-proto';
import { loadDmi, unixTarget } from './dmi-proto';
import type { MapperInfo, MapperRegisterResponse, ReportDeviceStatesRequest, ReportDeviceStatusRequest } from './dmi-types';
import type { MapperLogger } from './log';

export interface EdgecoreLinkOptions {
  /** edgecore's DMI socket (/etc/kubeedge/dmi.sock). */
  dmiSocket: string;
  mapper: MapperInfo;
  /** Backoff between registration attempts. */
  retry: { initialMs: number; maxMs: number };
  /** Deadline of one call. */
  callTimeoutMs: number;
}

/** edgecore's answer to a call over its rate limit (dmiserver: "fail to ... because of too many request"). */
export const isRateLimited = (err: unknown): boolean => /too many request/i.test(String((err as Grpc.ServiceError)?.details ?? (err as Error)?.message ?? ''));

/**
 * grpc-js moves a channel without calls to IDLE after 30 min; that must not
 * look like edgecore going away (IDLE is also what a closed connection
 * gives). The largest timer Node accepts: a channel goes IDLE only when its
 * connection closes.
 */
export const CHANNEL_OPTIONS = { 'grpc.client_idle_timeout_ms': 2 ** 31 - 1 };

type UnaryCall = (request: unknown, options: { deadline: number }, callback: (err: Grpc.ServiceError | null, response: unknown) => void) => void;
type ManagerClient = Grpc.Client & Record<'MapperRegister' | 'ReportDeviceStatus' | 'ReportDeviceStates', UnaryCall>;

export class EdgecoreLink {
  private client: ManagerClient | undefined;
  /** The client of the last successful MapperRegister, until the connection drops: reports go through it. */
  private registeredClient: ManagerClient | undefined;
  private registering: Promise<void> | undefined;
  private closed = false;
  private readonly closing = new AbortController();
  private registrations = 0;

  constructor(
    private readonly grpc: typeof Grpc,
    private readonly options: EdgecoreLinkOptions,
    /** Applies edgecore's answer (its devices and models); a rejection is retried with backoff. */
    private readonly onRegistered: (response: MapperRegisterResponse) => Promise<void>,
    private readonly logger: MapperLogger,
    private readonly clock: Clock,
    /** edgecore's rate limit, shared by our calls (state reports before twins). */
    private readonly budget: CallBudget,
  ) {}

  /** Starts registering (in the background; `registered()` waits for it). */
  start(): void {
    this.register();
  }

  /** Resolves once the current registration attempt succeeded (or close() ended it). */
  registered(): Promise<void> {
    return this.registering ?? Promise.resolve();
  }

  get registrationCount(): number {
    return this.registrations;
  }

  reportStatus(request: ReportDeviceStatusRequest): Promise<void> {
    return this.call('ReportDeviceStatus', request, 'twin');
  }

  reportStates(request: ReportDeviceStatesRequest): Promise<void> {
    return this.call('ReportDeviceStates', request, 'state');
  }

  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    this.budget.close();
    await this.registering?.catch(() => undefined);
    this.client?.close();
    this.client = undefined;
    this.registeredClient = undefined;
  }

  private register(): void {
    if (this.registering || this.closed) return;
    this.registering = this.registerLoop().finally(() => (this.registering = undefined));
  }

  private async registerLoop(): Promise<void> {
    const { dmiSocket, mapper, retry } = this.options;
    for (let attempt = 1; !this.closed; attempt++) {
      this.registeredClient = undefined;
      this.client?.close();
      this.client = this.newClient();
      const client = this.client;
      try {
        await this.budget.take('register');
        const response = (await this.unary(client, 'MapperRegister', { withData: true, mapper })) as MapperRegisterResponse;
        if (this.closed) return;
        this.registrations++;
        // Reports may go from now on: applying edgecore's devices below reports their states.
        this.registeredClient = client;
        this.logger.info(
          { dmiSocket, mapper: mapper.name, protocol: mapper.protocol, devices: response.deviceList?.length ?? 0, models: response.modelList?.length ?? 0 },
          this.registrations === 1 ? 'registered with edgecore as a KubeEdge mapper' : 'registered with edgecore again',
        );
        this.watch(client);
        await this.apply(response);
        // edgecore went away while its answer was being applied: register with the one that comes back.
        if (this.closed || this.registeredClient === client) return;
        attempt = 0;
      } catch (err) {
        if (this.closed) return;
        if (isRateLimited(err)) this.budget.drain();
        const wait = backoffDelay(attempt, retry.initialMs, retry.maxMs);
        const { code, details } = err as Grpc.ServiceError;
        const unavailable = code === this.grpc.status.UNAVAILABLE || code === this.grpc.status.DEADLINE_EXCEEDED;
        this.logger[unavailable ? 'warn' : 'error'](
          { dmiSocket, attempt, retryInMs: wait, err: details ?? (err as Error).message },
          unavailable
            ? `edgecore is not answering on ${dmiSocket} yet; registering again in ${Math.round(wait / 100) / 10} s`
            : `edgecore refused the mapper registration; trying again in ${Math.round(wait / 100) / 10} s`,
        );
        await delay(wait, this.clock, this.closing.signal);
      }
    }
  }

  /** Applies edgecore's answer, again with backoff while that fails (core-metadata unreachable), until it succeeds or edgecore is lost. */
  private async apply(response: MapperRegisterResponse): Promise<void> {
    const client = this.client;
    for (let attempt = 1; !this.closed && client === this.registeredClient; attempt++) {
      try {
        await this.onRegistered(response);
        return;
      } catch (err) {
        const wait = backoffDelay(attempt, this.options.retry.initialMs, this.options.retry.maxMs);
        this.logger.warn(
          { attempt, retryInMs: wait, err: (err as Error).message },
          `edgecore's devices and models could not be applied (core-metadata unreachable?); trying again in ${Math.round(wait / 100) / 10} s`,
        );
        await delay(wait, this.clock, this.closing.signal);
      }
    }
  }

  /** Registers again once the channel leaves READY: edgecore went away (and its registry with it). */
  private watch(client: ManagerClient): void {
    const channel = client.getChannel();
    const { READY, SHUTDOWN } = this.grpc.connectivityState;
    const onChange = () => {
      if (this.closed || client !== this.client) return;
      const state = channel.getConnectivityState(false);
      if (state === READY) {
        channel.watchConnectivityState(state, Infinity, onChange);
        return;
      }
      if (state === SHUTDOWN) return;
      this.logger.warn({ dmiSocket: this.options.dmiSocket, state: this.grpc.connectivityState[state] }, 'the connection to edgecore dropped; registering again');
      this.registeredClient = undefined;
      this.register();
    };
    channel.watchConnectivityState(channel.getConnectivityState(false), Infinity, onChange);
  }

  private async call(method: 'ReportDeviceStatus' | 'ReportDeviceStates', request: unknown, priority: CallPriority): Promise<void> {
    if (!this.registeredClient) throw new Error('not registered with edgecore');
    await this.budget.take(priority);
    const client = this.registeredClient;
    if (!client) throw new Error('not registered with edgecore');
    try {
      await this.unary(client, method, request);
    } catch (err) {
      if ((err as Grpc.ServiceError).code === this.grpc.status.UNAVAILABLE) this.register();
      if (isRateLimited(err)) this.budget.drain();
      throw err;
    }
  }

  private newClient(): ManagerClient {
    const { DeviceManagerService } = loadDmi();
    return new DeviceManagerService(unixTarget(this.options.dmiSocket), this.grpc.credentials.createInsecure(), CHANNEL_OPTIONS) as unknown as ManagerClient;
  }

  private unary(client: ManagerClient, method: 'MapperRegister' | 'ReportDeviceStatus' | 'ReportDeviceStates', request: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      client[method](request, { deadline: Date.now() + this.options.callTimeoutMs }, (err, response) => (err ? reject(err) : resolve(response)));
    });
  }
}
