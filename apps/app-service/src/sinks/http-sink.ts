import { Agent as HttpAgent, OutgoingHttpHeaders, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { httpSinkSettings } from './http-sink-settings';
import { DeliveryError, DeliveryOptions, OutboxRecord, Sink, SinkContext, SinkLogger } from './sink';
import type { HttpSinkConfig } from './sink-config';
import { warnIfInsecure } from './tls';

const gzipAsync = promisify(gzip);

const DEFAULT_MAX_BATCH = 500;
/** Enough of an error response to say why in lastError, not enough to hold a whole page in memory. */
const ERROR_BODY_CHARS = 200;

export interface HttpSinkOptions {
  /** Most records per deliver() (default 500). */
  maxBatch?: number;
}

/**
 * What an HTTP status means for the records sent.
 *
 * A refusal that is about the records themselves (400 malformed, 413 too
 * large, 422 unprocessable) will be given again for the same bytes forever;
 * retrying would stall every record behind it, so those are rejected. Every
 * other failure is about the destination or its configuration (401/403 bad
 * credentials, 404/405 wrong URL or method, 3xx moved: we do not follow
 * redirects with a body, 408/429 throttling, 5xx outages): it applies to all
 * records alike and a human or time fixes it, so the data is kept (retry) and
 * the cause shows in lastError.
 */
export function dispositionOf(status: number): 'ok' | 'retry' | 'reject' {
  if (status >= 200 && status < 300) return 'ok';
  return status === 400 || status === 413 || status === 422 ? 'reject' : 'retry';
}

/** A Retry-After header (seconds or an HTTP date) as a delay in seconds, for lastError. */
export function retryAfterSeconds(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  const seconds = /^\d+$/.test(text) ? Number(text) : Math.ceil((Date.parse(text) - now) / 1000);
  return Number.isFinite(seconds) ? Math.max(0, seconds) : undefined;
}

/** A failure with an HTTP status (as opposed to no answer at all). */
export class HttpStatusError extends DeliveryError {
  constructor(
    message: string,
    disposition: 'retry' | 'reject',
    readonly status: number,
    options?: { delivered?: number },
  ) {
    super(message, disposition, options);
  }
}

interface Response {
  status: number;
  statusText: string;
  retryAfter?: string;
  body: string;
}

const silent: SinkLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * POSTs (or PUTs) records as JSON: batched, one request whose body is the JSON
 * array of the records; unbatched, one request per record, in order.
 *
 * Requests go out one after the other and the first failure ends the call,
 * with `delivered` = the leading records the server accepted before it: the
 * outbox removes those and sends the rest again (after a `retry`), or drops
 * the refused record and goes on with the ones after it (`reject`).
 *
 * A batch refused as a whole (400, 413, 422) may hold one bad record, or be
 * over the server's size limit, and the answer does not say which. Rejecting
 * it would lose the good records with it, and the outbox drops only the first
 * record of a rejected call, so the same batch would be refused again and
 * again, losing one good record each time. So the sink sends it again in
 * halves, in order, within the same call: the good records arrive in a few
 * larger requests, and only a single record can be rejected.
 */
export class HttpSink implements Sink {
  readonly name: string;
  readonly maxBatch: number;
  private readonly url: URL;
  private readonly origin: string;
  private readonly timeoutMs: number;
  private readonly agent: HttpAgent;
  private readonly headers: OutgoingHttpHeaders;
  private logger: SinkLogger = silent;
  private reachable?: boolean;

  constructor(
    private readonly config: HttpSinkConfig,
    options: HttpSinkOptions = {},
  ) {
    this.name = config.name;
    this.maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    this.url = new URL(config.url);
    // The path or query may carry a key (e.g. `?code=`): logs and errors name the origin only.
    this.origin = this.url.origin;
    const settings = httpSinkSettings(config);
    this.timeoutMs = settings.timeoutMs;
    const https = this.url.protocol === 'https:';
    this.agent = https ? new HttpsAgent({ keepAlive: true, ...settings.tls }) : new HttpAgent({ keepAlive: true });
    this.headers = withoutBodyHeaders(config.headers);
  }

  /** HTTP holds no connection: this says whether the last request got an HTTP answer (false before the first). */
  get connected(): boolean {
    return this.reachable ?? false;
  }

  async start(context: SinkContext): Promise<void> {
    this.logger = context.logger;
    warnIfInsecure(this.config.tls, this.logger);
  }

  async deliver(records: OutboxRecord[], options: DeliveryOptions): Promise<void> {
    if (records.length === 0) return;
    if (options.batched) return this.sendHalving(records, 0, records.length, options);
    for (let i = 0; i < records.length; i++) await this.send(records, i, i + 1, options);
  }

  async stop(): Promise<void> {
    this.agent.destroy();
  }

  /** Sends records [from, to) as one batch; a refused batch of several goes again in halves (see the class comment). */
  private async sendHalving(records: OutboxRecord[], from: number, to: number, options: DeliveryOptions): Promise<void> {
    try {
      await this.send(records, from, to, options);
    } catch (err) {
      if (to - from === 1 || !(err instanceof HttpStatusError) || err.disposition === 'retry') throw err;
      const middle = from + Math.ceil((to - from) / 2);
      await this.sendHalving(records, from, middle, options);
      await this.sendHalving(records, middle, to, options);
    }
  }

  /**
   * One request with records [from, to); every record before `from` has been
   * accepted, which is what a failure reports as `delivered`.
   */
  private async send(records: OutboxRecord[], from: number, to: number, options: DeliveryOptions): Promise<void> {
    const json = options.batched ? jsonArray(records.slice(from, to)) : records[from].body;
    const body = options.gzip ? await gzipAsync(json) : json;
    const headers: OutgoingHttpHeaders = {
      'content-type': 'application/json',
      ...this.headers,
      'content-length': body.length,
      ...(options.gzip ? { 'content-encoding': 'gzip' } : {}),
    };
    let response: Response;
    try {
      response = await this.exchange(body, headers);
    } catch (err) {
      const reason = (err as Error).message;
      this.setReachable(false, reason);
      throw new DeliveryError(`${this.config.method} ${this.origin}: ${reason}`, 'retry', { cause: err, delivered: from });
    }
    this.setReachable(true);
    const disposition = dispositionOf(response.status);
    if (disposition === 'ok') return;
    const wait = retryAfterSeconds(response.retryAfter);
    const detail = [
      `${this.config.method} ${this.origin}: HTTP ${response.status} ${response.statusText}`.trimEnd(),
      wait !== undefined ? ` (Retry-After: ${wait}s)` : '',
      response.body ? `: ${response.body}` : '',
    ].join('');
    if (disposition === 'reject' && to - from === 1) {
      this.logger.warn({ record: records[from].id, status: response.status }, 'HTTP sink: destination refused a record');
    }
    throw new HttpStatusError(detail, disposition, response.status, { delivered: from });
  }

  private exchange(body: Buffer, headers: OutgoingHttpHeaders): Promise<Response> {
    const request = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      const settle = (err: Error | undefined, response?: Response) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(response as Response);
      };
      const req = request(this.url, { method: this.config.method, headers, agent: this.agent }, (res) => {
        const status = res.statusCode ?? 0;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          // A 2xx body is not needed; an error body only for its first words.
          if (dispositionOf(status) !== 'ok' && text.length < ERROR_BODY_CHARS) text += chunk;
        });
        res.on('error', (err) => settle(err));
        res.on('end', () => {
          const retryAfter = res.headers['retry-after'];
          settle(undefined, {
            status,
            statusText: res.statusMessage ?? '',
            retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
            body: text.replace(/\s+/g, ' ').trim().slice(0, ERROR_BODY_CHARS),
          });
        });
      });
      // The whole exchange, not socket idleness: a server trickling bytes must not hold a route forever.
      const timer = setTimeout(() => req.destroy(new Error(`no complete response within ${this.timeoutMs} ms`)), this.timeoutMs);
      req.on('error', (err) => settle(err));
      req.end(body);
    });
  }

  private setReachable(reachable: boolean, reason?: string): void {
    const was = this.reachable;
    this.reachable = reachable;
    if (was === reachable) return;
    if (!reachable) this.logger.warn({ destination: this.origin, error: reason }, 'HTTP sink: destination unreachable');
    else if (was === false) this.logger.info({ destination: this.origin }, 'HTTP sink: destination reachable again');
  }
}

const [OPEN, COMMA, CLOSE] = ['[', ',', ']'].map((c) => Buffer.from(c));

/** The stored JSON documents joined into an array without parsing them again. */
export function jsonArray(records: OutboxRecord[]): Buffer {
  const parts: Buffer[] = [OPEN];
  records.forEach((record, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(record.body);
  });
  parts.push(CLOSE);
  return Buffer.concat(parts);
}

/** Framing headers describe the body the sink sends, so the user's copies of them are dropped. */
function withoutBodyHeaders(headers: Record<string, string>): OutgoingHttpHeaders {
  const framing = new Set(['content-length', 'content-encoding', 'transfer-encoding']);
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !framing.has(name.toLowerCase())));
}
