import { ErrorKind, GatewayError, errorKindForStatus } from '@gw/contracts';

export interface HttpClientOptions {
  /** e.g. http://core-metadata:59881 (no trailing /api/v3). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>` when the peer requires it. */
  apiKey?: string;
  timeoutMs?: number;
}

/**
 * A small JSON client for the EdgeX REST APIs of our own services. Errors come
 * back as GatewayError with the kind the peer's status code means and the
 * peer's message, so a caller can pass a 404 through as a 404.
 */
export class EdgeXHttpClient {
  private readonly timeoutMs: number;

  constructor(private readonly options: HttpClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = this.options.baseUrl.replace(/\/$/, '') + '/api/v3' + path;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError';
      throw new GatewayError(
        timedOut ? ErrorKind.Timeout : ErrorKind.Communication,
        `${method} ${url}: ${timedOut ? `no answer within ${this.timeoutMs} ms` : (err as Error).message}`,
        { cause: err },
      );
    }
    const text = await response.text();
    const json = text ? safeJson(text) : undefined;
    if (!response.ok && response.status !== 207) {
      const message = (json as { message?: string } | undefined)?.message ?? (text || response.statusText);
      throw new GatewayError(errorKindForStatus(response.status), message);
    }
    return json as T;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
