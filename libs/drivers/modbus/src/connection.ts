/**
 * One Modbus connection per endpoint (`tcp://host:port` or `rtu://<path>`),
 * shared by every unit behind it, on modbus-serial's ModbusRTU client.
 *
 * - Requests are serialized per connection through a small bounded queue;
 *   each carries its own unit id and timeout.
 * - After the peer goes away (socket closed, connect refused) the next request
 *   reconnects; failed connects back off exponentially with jitter (requests
 *   during the back-off fail fast). Nothing here throws outside a request's promise.
 * - Modbus exception codes and transport failures become GatewayErrors that
 *   name the device, unit and address.
 */
import type { EventEmitter } from 'node:events';
import type ModbusRTU from 'modbus-serial';
import { backoffDelay, ErrorKind, GatewayError, withTimeout } from '@gw/contracts';
import type { ModbusEndpoint } from './attributes';

export interface ConnectionOptions {
  /** Most requests waiting on one connection; more are refused with ServiceUnavailable (default 256). */
  maxQueue?: number;
  /** First reconnect back-off after a failed connect (default 250 ms); doubles, ±20% jitter. */
  reconnectMinMs?: number;
  /** Longest reconnect back-off (default 30 s). */
  reconnectMaxMs?: number;
  /** How long a connect attempt may take (default: the endpoint's timeout). */
  connectTimeoutMs?: number;
}

/** What a request is about, for error messages. */
export interface RequestLabel {
  deviceName: string;
  /** e.g. `HOLDING_REGISTERS 10+4`. */
  what: string;
}

export interface ModbusRequest<T> {
  unitId: number;
  timeoutMs: number;
  label: RequestLabel;
  run: (client: ModbusRTU) => Promise<T>;
  /**
   * Asked when the request's turn comes, not when it is queued: an error
   * here fails it without touching the line (a unit that timed out while
   * this request waited is not asked again).
   */
  refuse?: () => GatewayError | undefined;
}

type Task = () => Promise<void>;

/** A connection as GET /api/v3/modbus/connections shows it. */
export interface ConnectionStatus {
  /** `tcp://host:port` or `rtu://<serial path>`. */
  endpoint: string;
  /** `backing off`: the last connect failed (or the peer hung up at once); requests fail fast until retryInMs has passed. */
  state: 'connected' | 'connecting' | 'backing off' | 'not connected';
  /** Connects made so far (more than 1: it reconnected). */
  connects: number;
  /** Connect attempts failed in a row (0 once one succeeds and is answered). */
  failedConnects: number;
  /** Requests waiting for the line. */
  queued: number;
  retryInMs?: number;
  /** The last connect failure or lost line, and when (ISO time). */
  lastError?: { message: string; at: string };
}

/** Modbus exception codes → error kinds. */
const EXCEPTION_KINDS: Record<number, ErrorKind> = {
  1: ErrorKind.NotAllowed,
  2: ErrorKind.ContractInvalid,
  3: ErrorKind.ContractInvalid,
  4: ErrorKind.Communication,
  5: ErrorKind.ServiceUnavailable,
  6: ErrorKind.ServiceUnavailable,
  10: ErrorKind.Communication,
  11: ErrorKind.Timeout,
};

const EXCEPTION_NAMES: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'slave device failure',
  5: 'acknowledge (busy with a long operation)',
  6: 'slave device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

/** modbus-serial's timeout rejection. */
function isTimeout(e: { errno?: string; message?: string } | undefined): boolean {
  return e?.errno === 'ETIMEDOUT' || e?.message === 'Timed out';
}

/** Turns whatever modbus-serial rejected with into a GatewayError naming device, unit and address. */
export function modbusError(err: unknown, endpointKey: string, unitId: number, label: RequestLabel): GatewayError {
  const at = `device "${label.deviceName}" unit ${unitId} ${label.what} on ${endpointKey}`;
  if (err instanceof GatewayError) {
    // Connection-level errors name only the endpoint: say which device's request it was.
    return err.message.startsWith('device "') ? err : new GatewayError(err.kind, `${at}: ${err.message}`, { cause: err });
  }
  const e = (err ?? {}) as { message?: string; modbusCode?: number; errno?: string; code?: string };
  if (typeof e.modbusCode === 'number') {
    const name = EXCEPTION_NAMES[e.modbusCode] ?? 'unknown exception';
    return new GatewayError(EXCEPTION_KINDS[e.modbusCode] ?? ErrorKind.Communication, `${at}: Modbus exception ${e.modbusCode} (${name})`, {
      cause: err,
    });
  }
  if (isTimeout(e)) {
    return new GatewayError(ErrorKind.Timeout, `${at}: no response (timed out)`, { cause: err });
  }
  return new GatewayError(ErrorKind.Communication, `${at}: ${e.message ?? String(err)}`, { cause: err });
}

export class ModbusConnection {
  private client?: ModbusRTU;
  /**
   * Fails the request in flight when the line drops. modbus-serial leaves it
   * waiting for its own timeout, which would hold the queue and blame the
   * unit. One hook per request, cleared when it settles: racing every request
   * against one long-lived promise would keep a reaction per request alive.
   */
  private abortInFlight?: (err: Error) => void;
  private connecting?: Promise<ModbusRTU>;
  private readonly queue: Task[] = [];
  private running = false;
  private closed = false;
  private failures = 0;
  /** A request succeeded on the current client (it is not a connection the peer drops at once). */
  private answered = false;
  private retryAt = 0;
  private lastError?: { message: string; at: number };
  private lastFrameAt = 0;
  /** RTU: no frame before this time (after a timeout; see execute). */
  private quietUntil = 0;
  private idleTimer?: NodeJS.Timeout;
  /** Connects made so far (1 for the first, more after reconnects). */
  connects = 0;

  private readonly maxQueue: number;
  private readonly reconnectMinMs: number;
  private readonly reconnectMaxMs: number;

  constructor(
    readonly endpoint: ModbusEndpoint,
    private readonly options: ConnectionOptions = {},
  ) {
    this.maxQueue = options.maxQueue ?? 256;
    this.reconnectMinMs = options.reconnectMinMs ?? 250;
    this.reconnectMaxMs = options.reconnectMaxMs ?? 30_000;
  }

  get key(): string {
    return this.endpoint.key;
  }

  get isOpen(): boolean {
    return this.client?.isOpen === true;
  }

  /** What the connection is doing now, for the status route; opens nothing. */
  status(now = Date.now()): ConnectionStatus {
    const state = this.isOpen ? 'connected' : this.connecting ? 'connecting' : now < this.retryAt ? 'backing off' : 'not connected';
    return {
      endpoint: this.key,
      state,
      connects: this.connects,
      failedConnects: this.failures,
      queued: this.queue.length,
      ...(state === 'backing off' ? { retryInMs: this.retryAt - now } : {}),
      ...(this.lastError ? { lastError: { message: this.lastError.message, at: new Date(this.lastError.at).toISOString() } } : {}),
    };
  }

  /** Runs one request after those already queued on this connection. */
  request<T>(req: ModbusRequest<T>): Promise<T> {
    if (this.closed) {
      return Promise.reject(new GatewayError(ErrorKind.ServiceUnavailable, `${this.key}: connection closed`));
    }
    if (this.queue.length >= this.maxQueue) {
      return Promise.reject(
        new GatewayError(
          ErrorKind.ServiceUnavailable,
          `device "${req.label.deviceName}" unit ${req.unitId} ${req.label.what} on ${this.key}: ${this.queue.length} requests already waiting`,
        ),
      );
    }
    return new Promise<T>((resolve, reject) => {
      this.queue.push(async () => {
        try {
          resolve(await this.execute(req));
        } catch (err) {
          reject(modbusError(err, this.key, req.unitId, req.label));
        }
      });
      void this.drain();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clearIdleTimer();
    const pending = this.queue.splice(0);
    for (const task of pending) void task(); // each rejects: closed
    this.dropClient();
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0) await this.queue.shift()!();
    } finally {
      this.running = false;
    }
  }

  private async execute<T>(req: ModbusRequest<T>): Promise<T> {
    if (this.closed) throw new GatewayError(ErrorKind.ServiceUnavailable, `${this.key}: connection closed`);
    const refused = req.refuse?.();
    if (refused) throw refused;
    this.clearIdleTimer();
    const client = await this.connect();
    await this.interFrameSilence();
    // Closed while this request waited for its turn to send (its device removed, the driver
    // stopped): the client is gone, and a request on it would only wait out its timeout.
    if (this.closed) throw new GatewayError(ErrorKind.ServiceUnavailable, `${this.key}: connection closed`);
    if (this.endpoint.protocol === 'modbus-rtu') discardStaleInput(client);
    client.setID(req.unitId);
    client.setTimeout(req.timeoutMs);
    try {
      const value = await new Promise<T>((resolve, reject) => {
        this.abortInFlight = reject;
        req.run(client).then(resolve, reject);
      });
      this.answered = true;
      this.failures = 0;
      return value;
    } catch (err) {
      const e = err as { modbusCode?: number; errno?: string; message?: string };
      if (typeof e?.modbusCode === 'number') this.answered = true; // an exception is an answer: the line works
      // A timeout or an exception is the unit's problem; anything else means the line is gone.
      if (typeof e?.modbusCode !== 'number' && !isTimeout(e) && !client.isOpen) this.dropClient();
      if (isTimeout(e) && this.endpoint.protocol === 'modbus-rtu') {
        // RTU frames carry no transaction id: a unit answering late would have its
        // answer taken for the next request's. Keep the line quiet for a while so
        // a late answer arrives before that request and is discarded with the input.
        this.quietUntil = Date.now() + Math.min(req.timeoutMs, RTU_LATE_ANSWER_GUARD_MS);
      }
      throw err;
    } finally {
      this.abortInFlight = undefined;
      this.lastFrameAt = Date.now();
      this.armIdleTimer();
    }
  }

  /** EdgeX's IdleTimeout: a connection nobody used for that long is closed, and reopened on the next request. */
  private armIdleTimer(): void {
    if (this.closed || this.idleTimer || this.endpoint.idleTimeoutMs <= 0) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (!this.running) this.dropClient();
    }, this.endpoint.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private clearIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  /** RTU: at least 3.5 character times between frames (1.75 ms above 19200 baud, as the spec says). */
  private async interFrameSilence(): Promise<void> {
    if (this.endpoint.protocol !== 'modbus-rtu') return;
    const bitsPerChar = 1 + this.endpoint.dataBits + (this.endpoint.parity === 'N' ? 0 : 1) + this.endpoint.stopBits;
    const silenceMs = this.endpoint.baudRate > 19200 ? 1.75 : (3.5 * bitsPerChar * 1000) / this.endpoint.baudRate;
    const wait = Math.max(this.lastFrameAt + silenceMs, this.quietUntil) - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, Math.ceil(wait)));
  }

  private async connect(): Promise<ModbusRTU> {
    if (this.client?.isOpen) return this.client;
    this.dropClient();
    const now = Date.now();
    if (now < this.retryAt) {
      throw new GatewayError(
        ErrorKind.ServiceUnavailable,
        `${this.key}: not connected, next connect attempt in ${this.retryAt - now} ms (after ${this.failures} failed)`,
      );
    }
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async open(): Promise<ModbusRTU> {
    // Loaded at the first connection: a device-modbus without devices never loads modbus-serial and serialport.
    const { default: ModbusClient } = await import('modbus-serial');
    const client = new ModbusClient();
    client.on('error', () => this.dropClient(client, true));
    client.on('close', () => this.dropClient(client, true));
    const ep = this.endpoint;
    const timeout = this.options.connectTimeoutMs ?? ep.timeoutMs;
    try {
      const opened =
        ep.protocol === 'modbus-tcp'
          ? client.connectTCP(ep.host, { port: ep.port, timeout })
          : client.connectRTUBuffered(ep.path, { baudRate: ep.baudRate, dataBits: ep.dataBits, stopBits: ep.stopBits, parity: PARITY[ep.parity] });
      await withTimeout(opened, timeout, 'connect');
    } catch (err) {
      const backoff = this.failed();
      this.lastError = { message: `cannot connect: ${(err as Error).message}`, at: Date.now() };
      safeClose(client);
      throw new GatewayError(ErrorKind.Communication, `${this.key}: cannot connect (${(err as Error).message}); retry in ${backoff} ms`, { cause: err });
    }
    if (this.closed) {
      // Closed while connecting: nothing would ever close this client.
      safeClose(client);
      throw new GatewayError(ErrorKind.ServiceUnavailable, `${this.key}: connection closed`);
    }
    this.retryAt = 0;
    this.connects++;
    this.client = client;
    onLineClosed(client, () => this.dropClient(client, true));
    return client;
  }

  /** Counts a failed connection and sets when the next attempt may be made; returns the wait. */
  private failed(): number {
    this.failures++;
    const backoff = backoffDelay(this.failures, this.reconnectMinMs, this.reconnectMaxMs);
    this.retryAt = Date.now() + backoff;
    return backoff;
  }

  /**
   * `lost`: the peer or the line ended it. A connection lost before any
   * request succeeded on it counts as a failed connect, so a peer that
   * accepts and hangs up at once (a PLC over its connection limit) is retried
   * with back-off, not on every request.
   */
  private dropClient(which?: ModbusRTU, lost = false): void {
    const client = this.client;
    if (!client || (which && which !== client)) return;
    if (lost) this.lastError = { message: this.answered ? 'connection lost' : 'connection lost before any answer', at: Date.now() };
    if (lost && !this.answered) this.failed();
    this.answered = false;
    this.client = undefined;
    this.abortInFlight?.(new Error('connection lost while waiting for the response'));
    safeClose(client);
  }
}

const PARITY = { N: 'none', E: 'even', O: 'odd' } as const;

/**
 * modbus-serial's TCP port stays silent when its socket closes after an error
 * (a reset peer): no 'close' reaches the client, and a request in flight would
 * wait out its timeout. The socket (or serial port) itself always says it
 * closed, so listen there. Internal to modbus-serial 8.0.x, hence the shape check.
 */
function onLineClosed(client: ModbusRTU, closed: () => void): void {
  const line = (client as unknown as { _port?: { _client?: { once?: (event: string, fn: () => void) => void } } })._port?._client;
  if (typeof line?.once === 'function') line.once('close', closed);
}

/** Longest quiet time after an RTU timeout (less when the request's timeout is shorter). */
const RTU_LATE_ANSWER_GUARD_MS = 1_000;

/**
 * Drops bytes modbus-serial's buffered RTU port holds from before our request
 * (a late answer, line noise): its frame matcher would otherwise take a stale
 * frame of the same unit and function for the answer. The buffer is internal
 * to modbus-serial 8.0.x, hence the shape check.
 */
function discardStaleInput(client: ModbusRTU): void {
  const port = (client as unknown as { _port?: { _buffer?: unknown } })._port;
  if (port && Buffer.isBuffer(port._buffer)) port._buffer = Buffer.alloc(0);
}

function safeClose(client: ModbusRTU): void {
  try {
    (client as unknown as EventEmitter).removeAllListeners('close');
    client.on('error', () => undefined);
    // destroy() also clears the timers of requests still in flight (close() leaves them running);
    // serial ports have no destroy, so close those as well.
    client.destroy(() => undefined);
    if (client.isOpen) client.close(() => undefined);
  } catch {
    // already gone
  }
}

/** The connections of a driver, one per endpoint key. */
export class ConnectionPool {
  private readonly connections = new Map<string, ModbusConnection>();

  constructor(private readonly options: ConnectionOptions = {}) {}

  get(endpoint: ModbusEndpoint): ModbusConnection {
    let connection = this.connections.get(endpoint.key);
    if (!connection) {
      connection = new ModbusConnection(endpoint, this.options);
      this.connections.set(endpoint.key, connection);
    }
    return connection;
  }

  /** The open connection of `key`, if any (without opening one). */
  existing(key: string): ModbusConnection | undefined {
    return this.connections.get(key);
  }

  get size(): number {
    return this.connections.size;
  }

  /** Every connection, in the order they were made. */
  all(): ModbusConnection[] {
    return [...this.connections.values()];
  }

  /** Closes the connection of `key` (e.g. its last device went away). */
  async release(key: string): Promise<void> {
    const connection = this.connections.get(key);
    this.connections.delete(key);
    await connection?.close();
  }

  async closeAll(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}
