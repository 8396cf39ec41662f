import { ErrorKind, GatewayError, errorKindForStatus, redactUrl } from '@gw/contracts';

export interface HttpClientOptions {
  /** e.g. http://core-metadata:59881 (no trailing /api/v3). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>` when the peer requires it. */
  apiKey?: string;
  timeoutMs?: number;
}

/**
 * A failed call to one of our services: `statusCode` is the peer's answer
 * (4xx/5xx), or undefined when no answer came (connection refused, DNS,
 * timeout); `url` is what was called, so a caller can name it.
 */
export class HttpCallError extends GatewayError {
  constructor(
    kind: ErrorKind,
    message: string,
    readonly method: string,
    readonly url: string,
    readonly statusCode?: number,
    options?: { cause?: unknown },
  ) {
    super(kind, message, options);
  }
}

/**
 * A small JSON client for the EdgeX REST APIs of our own services. Errors come
 * back as GatewayError (an HttpCallError) with the kind the peer's status code
 * means and the peer's message, so a caller can pass a 404 through as a 404.
 */
export class EdgeXHttpClient {
  private readonly timeoutMs: number;

  constructor(private readonly options: HttpClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.send<T>(method, path, body === undefined ? undefined : { body: JSON.stringify(body), contentType: 'application/json' });
  }

  /** A multipart/form-data POST or PUT (EdgeX's `uploadfile` routes): `file` sent as the form's `file` field. */
  upload<T>(method: string, path: string, file: { name: string; text: string; type?: string }): Promise<T> {
    const form = new FormData();
    form.append('file', new Blob([file.text], { type: file.type ?? 'application/x-yaml' }), file.name);
    return this.send<T>(method, path, { body: form });
  }

  private async send<T>(method: string, path: string, payload?: { body: string | FormData; contentType?: string }): Promise<T> {
    const url = this.options.baseUrl.replace(/\/$/, '') + '/api/v3' + path;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (payload?.contentType) headers['content-type'] = payload.contentType;
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body: payload?.body, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError';
      // fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND ...) is in its cause.
      const reason = (err as { cause?: { code?: string; message?: string } }).cause;
      const detail = reason?.code ?? reason?.message;
      // An error without a cause was raised building the request (a header fetch refuses quotes its value: the API key): its name only.
      const what = timedOut ? `no answer within ${this.timeoutMs} ms` : reason ? (err as Error).message : `the request could not be made (${(err as Error).name})`;
      throw new HttpCallError(
        timedOut ? ErrorKind.Timeout : ErrorKind.Communication,
        `${method} ${redactUrl(url)}: ${what}${!timedOut && detail ? ` (${detail})` : ''}`,
        method,
        redactUrl(url),
        undefined,
        { cause: err },
      );
    }
    const text = await response.text();
    const json = text ? safeJson(text) : undefined;
    if (!response.ok && response.status !== 207) {
      const message = (json as { message?: unknown } | undefined)?.message;
      throw new HttpCallError(errorKindForStatus(response.status), oneLine(typeof message === 'string' ? message : text || response.statusText), method, redactUrl(url), response.status);
    }
    return json as T;
  }
}

/** The most of a peer's error text a message carries. */
export const MAX_ERROR_TEXT = 200;

/** A peer's error text as one line (a proxy's HTML page, a stack trace): whitespace collapsed, cut at MAX_ERROR_TEXT characters. */
export function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_ERROR_TEXT ? `${flat.slice(0, MAX_ERROR_TEXT - 1)}…` : flat;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
