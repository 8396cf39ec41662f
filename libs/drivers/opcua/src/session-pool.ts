/**
 * One connection and session per endpoint (url + security + identity), shared
 * by the devices that name it. The session is opened when the first device is
 * added and kept while one remains; node-opcua's own reconnection is off: a
 * lost connection (socket closed, keep-alive failed, session gone) is
 * reopened here after the project's backoff (backoffDelay: doubling from
 * GW_OPCUA_RECONNECT_MIN to _MAX, ±20 % jitter), and the listeners (the
 * subscriptions) are told when the session goes and when a new one is up, so
 * they recreate their monitored items exactly once. While waiting to
 * reconnect, requests fail at once naming the last error and the next attempt.
 */
import { backoffDelay, Clock, ErrorKind, GatewayError, systemClock, Timer, withTimeout } from '@gw/contracts';
import type { DriverContext } from '@gw/device-sdk/driver';
import { ClientSession, MessageSecurityMode, OPCUAClient, OPCUAClientOptions, SecurityPolicy, UserIdentityInfo } from 'node-opcua-client';
import type { OpcuaSettings } from './descriptor';
import type { OpcuaEndpoint } from './endpoint';
import { isSessionLost } from './status';

export type Logger = DriverContext['logger'];

/** What the security module provides (src/security): client options per endpoint and readable connect failures. */
export interface SecurityHooks {
  clientOptions(endpoint: OpcuaEndpoint): Promise<{ client: Partial<OPCUAClientOptions>; userIdentity?: UserIdentityInfo }>;
  describeFailure(err: unknown, endpoint: OpcuaEndpoint): GatewayError | undefined;
}

/** Told when a session is up (after the first connect and after each reconnect) and when it is gone. */
export interface SessionListener {
  up(session: ClientSession, generation: number): void;
  down(): void;
}

export interface PoolOptions {
  settings: OpcuaSettings;
  logger: Logger;
  security: SecurityHooks;
  clock?: Clock;
}

type State = 'idle' | 'connecting' | 'connected' | 'waiting' | 'closed';

export class OpcuaConnection {
  /** Devices using this connection. */
  readonly users = new Set<string>();
  /** Sessions opened so far (1 after the first connect): lets caches tell sessions apart. */
  generation = 0;
  private state: State = 'idle';
  private client?: OPCUAClient;
  private current?: ClientSession;
  private connecting?: Promise<ClientSession>;
  private retry?: Timer;
  private nextAttemptAt = 0;
  private failures = 0;
  private lastError?: GatewayError;
  private readonly listeners = new Set<SessionListener>();
  /** Rejecters of requests in flight: close() settles them instead of leaving them to time out. */
  private readonly inFlight = new Set<(err: Error) => void>();
  /** The pool's clock (reconnect and re-placement back-offs). */
  readonly clock: Clock;

  constructor(
    readonly endpoint: OpcuaEndpoint,
    private readonly options: PoolOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  get key(): string {
    return this.endpoint.key;
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  /** Counts of the connection, for logs and tests. */
  stats(): { state: State; generation: number; failures: number; users: number } {
    return { state: this.state, generation: this.generation, failures: this.failures, users: this.users.size };
  }

  listen(listener: SessionListener): () => void {
    this.listeners.add(listener);
    if (this.current) listener.up(this.current, this.generation);
    return () => this.listeners.delete(listener);
  }

  /** Connects in the background if not connected or waiting already (errors go to the retry loop). */
  start(): void {
    if (this.state === 'idle') this.connect().catch(() => undefined);
  }

  /**
   * Runs one request on the session. Fails at once while the connection waits
   * to reconnect; a request whose error says the session is gone makes the
   * connection reconnect. Errors are GatewayErrors; `where` says what was asked.
   */
  async request<T>(where: string, run: (session: ClientSession) => Promise<T>): Promise<T> {
    const session = await this.session(where);
    const timeout = this.options.settings.requestTimeout;
    let reject!: (err: Error) => void;
    const aborted = new Promise<never>((_, r) => (reject = r));
    this.inFlight.add(reject);
    try {
      return await Promise.race([withTimeout(run(session), timeout + 1_000, `${where} on ${this.endpoint.url}`), aborted]);
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      if (isSessionLost(err)) {
        this.lost(session, (err as Error).message);
        throw new GatewayError(ErrorKind.Communication, `${where} on ${this.endpoint.url}: connection lost (${(err as Error).message})`, { cause: err });
      }
      const message = (err as Error).message ?? String(err);
      const kind = /timeout|timed out/i.test(message) ? ErrorKind.Timeout : ErrorKind.Communication;
      throw new GatewayError(kind, `${where} on ${this.endpoint.url}: ${message}`, { cause: err });
    } finally {
      this.inFlight.delete(reject);
    }
  }

  /** The open session, waiting for a connection under way; fails at once while waiting to reconnect. */
  async session(where = 'request'): Promise<ClientSession> {
    switch (this.state) {
      case 'connected':
        return this.current!;
      case 'connecting':
        return this.connecting!;
      case 'closed':
        throw new GatewayError(ErrorKind.ServiceUnavailable, `${where}: the connection to ${this.endpoint.url} is closed (device removed or driver stopped)`);
      case 'waiting': {
        const inMs = Math.max(0, Math.round(this.nextAttemptAt - this.clock.monotonicMs()));
        const last = this.lastError;
        throw new GatewayError(
          last?.kind === ErrorKind.ContractInvalid ? ErrorKind.ContractInvalid : ErrorKind.Communication,
          `${where}: not connected to ${this.endpoint.url} (${last?.message ?? 'connection lost'}); next attempt in ${inMs} ms`,
          { cause: last },
        );
      }
      default:
        return this.connect();
    }
  }

  private connect(): Promise<ClientSession> {
    this.state = 'connecting';
    const attempt = this.open().then(
      (session) => {
        this.connecting = undefined;
        if (this.state === 'closed') return session; // open() disposed it already
        this.failures = 0;
        this.lastError = undefined;
        this.current = session;
        this.state = 'connected';
        this.generation++;
        this.options.logger.info({ endpoint: this.endpoint.url, generation: this.generation, devices: this.users.size }, 'opcua session open');
        for (const listener of this.listeners) listener.up(session, this.generation);
        return session;
      },
      (err: unknown) => {
        this.connecting = undefined;
        const error = this.describe(err);
        if (this.state !== 'closed') {
          this.lastError = error;
          this.failures++;
          this.options.logger.warn({ endpoint: this.endpoint.url, failures: this.failures, err: error.message }, 'opcua connection failed');
          this.scheduleRetry();
        }
        throw error;
      },
    );
    this.connecting = attempt;
    return attempt;
  }

  private async open(): Promise<ClientSession> {
    const { settings } = this.options;
    const security = await this.options.security.clientOptions(this.endpoint);
    const client = OPCUAClient.create({
      applicationName: settings.applicationName,
      clientName: `gw-${this.endpoint.url}`,
      endpointMustExist: false,
      // Reconnection is ours (backoffDelay), so the subscriptions are recreated by one owner.
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
      keepSessionAlive: true,
      keepAliveInterval: settings.keepAliveInterval,
      requestedSessionTimeout: settings.sessionTimeout,
      defaultTransactionTimeout: settings.requestTimeout,
      transportTimeout: settings.connectTimeout,
      securityMode: MessageSecurityMode.None,
      securityPolicy: SecurityPolicy.None,
      ...security.client,
    });
    this.client = client;
    client.on('close', (err?: Error | null) => {
      if (err && this.client === client) this.lost(this.current, `connection closed: ${err.message}`);
    });
    const what = `opening a session on ${this.endpoint.url}`;
    try {
      await withTimeout(client.connect(this.endpoint.url), settings.connectTimeout, what, { kind: ErrorKind.Communication });
      const session = await withTimeout(client.createSession(security.userIdentity), settings.connectTimeout, what, { kind: ErrorKind.Communication });
      session.on('keepalive_failure', () => this.lost(session, 'keep-alive failed (the server did not answer)'));
      session.on('session_closed', () => this.lost(session, 'the server closed the session'));
      if (this.state === 'closed') {
        await this.dispose(client, session);
        throw new GatewayError(ErrorKind.ServiceUnavailable, `${what}: closed meanwhile`);
      }
      return session;
    } catch (err) {
      if (this.client === client) this.client = undefined;
      await this.dispose(client);
      throw err;
    }
  }

  /** The session broke: forget it, tell the listeners, and reconnect after the backoff. */
  lost(session: ClientSession | undefined, reason: string): void {
    if (this.state !== 'connected' || !session || session !== this.current) return;
    const client = this.client;
    this.current = undefined;
    this.client = undefined;
    this.lastError = new GatewayError(ErrorKind.Communication, reason);
    this.failures++;
    this.options.logger.warn({ endpoint: this.endpoint.url, reason, devices: this.users.size }, 'opcua connection lost; reconnecting');
    for (const listener of this.listeners) listener.down();
    if (client) void this.dispose(client);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.state === 'closed') return;
    this.state = 'waiting';
    const { reconnectMin, reconnectMax } = this.options.settings;
    const delayMs = backoffDelay(this.failures, reconnectMin, reconnectMax);
    this.nextAttemptAt = this.clock.monotonicMs() + delayMs;
    this.retry?.cancel();
    this.retry = this.clock.setTimer(() => {
      this.retry = undefined;
      if (this.state === 'waiting') this.connect().catch(() => undefined);
    }, delayMs);
  }

  private describe(err: unknown): GatewayError {
    const described = this.options.security.describeFailure(err, this.endpoint);
    if (described) return described;
    if (err instanceof GatewayError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new GatewayError(ErrorKind.Communication, `cannot open a session on ${this.endpoint.url}: ${message.split('\n')[0]}`, { cause: err });
  }

  /** Closes the session and the connection; requests in flight fail with ServiceUnavailable. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.retry?.cancel();
    this.retry = undefined;
    const stopped = new GatewayError(ErrorKind.ServiceUnavailable, `request to ${this.endpoint.url} cut short: the connection was closed (device removed or driver stopped)`);
    for (const reject of this.inFlight) reject(stopped);
    this.inFlight.clear();
    const session = this.current;
    const client = this.client;
    this.current = undefined;
    this.client = undefined;
    if (session) for (const listener of this.listeners) listener.down();
    this.listeners.clear();
    await this.connecting?.catch(() => undefined);
    if (client) await this.dispose(client, session);
  }

  private async dispose(client: OPCUAClient, session?: ClientSession): Promise<void> {
    const grace = Math.min(2_000, this.options.settings.requestTimeout);
    if (session) await withTimeout(session.close(true), grace, 'closing the session').catch(() => undefined);
    await withTimeout(client.disconnect(), grace, 'disconnecting').catch(() => undefined);
  }
}

/** The connections by endpoint key, each kept while a device uses it. */
export class SessionPool {
  private readonly connections = new Map<string, OpcuaConnection>();

  constructor(private readonly options: PoolOptions) {}

  /** The connection of `endpoint`, now also used by `deviceName`; it starts connecting in the background. */
  acquire(endpoint: OpcuaEndpoint, deviceName: string): OpcuaConnection {
    let connection = this.connections.get(endpoint.key);
    if (!connection) {
      connection = new OpcuaConnection(endpoint, this.options);
      this.connections.set(endpoint.key, connection);
    }
    connection.users.add(deviceName);
    connection.start();
    return connection;
  }

  get(key: string): OpcuaConnection | undefined {
    return this.connections.get(key);
  }

  /** `deviceName` no longer uses the connection of `key`; the last user closes it. */
  async release(key: string, deviceName: string): Promise<void> {
    const connection = this.connections.get(key);
    if (!connection) return;
    connection.users.delete(deviceName);
    if (connection.users.size > 0) return;
    this.connections.delete(key);
    await connection.close();
  }

  get size(): number {
    return this.connections.size;
  }

  all(): OpcuaConnection[] {
    return [...this.connections.values()];
  }

  async closeAll(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}
