/** A small HTTP client for metadata's REST API, as an EdgeX client would use it. */
export interface Reply<T = any> {
  status: number;
  body: T;
}

export class MetadataClient {
  constructor(readonly baseUrl: string) {}

  async call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const res = await fetch(this.baseUrl + '/api/v3' + path, init);
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  get = <T = any>(path: string) => this.call<T>('GET', path);
  delete = <T = any>(path: string) => this.call<T>('DELETE', path);
  post = <T = any>(path: string, body: unknown) => this.call<T>('POST', path, body);
  put = <T = any>(path: string, body: unknown) => this.call<T>('PUT', path, body);
  patch = <T = any>(path: string, body: unknown) => this.call<T>('PATCH', path, body);

  /** EdgeX batch request: `[{apiVersion, <key>: item}, ...]`. */
  batch(method: 'POST' | 'PUT' | 'PATCH', path: string, key: string, items: unknown[]): Promise<Reply<any[]>> {
    return this.call(method, path, items.map((item) => ({ apiVersion: 'v3', [key]: item })));
  }

  async upload(method: 'POST' | 'PUT', yaml: string, fileName = 'profile.yaml'): Promise<Reply> {
    const form = new FormData();
    form.append('file', new Blob([yaml], { type: 'application/x-yaml' }), fileName);
    const res = await fetch(this.baseUrl + '/api/v3/deviceprofile/uploadfile', { method, body: form });
    return { status: res.status, body: await res.json() };
  }
}

/** The stored entity without the fields the server adds. */
export function withoutServerFields<T extends object>(entity: T): Partial<T> {
  const { id: _id, created: _c, modified: _m, ...rest } = entity as Record<string, unknown>;
  return rest as Partial<T>;
}
