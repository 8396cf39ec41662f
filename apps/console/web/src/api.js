// Calls to the console's server (same origin): the services' APIs under
// /api/<service>/..., the key (when the gateway has one) from this tab's
// sessionStorage, sent as X-API-Key. The key is never put in a URL.
const KEY = 'gw-console-api-key';

export const storedKey = () => sessionStorage.getItem(KEY) ?? undefined;
export const storeKey = (key) => (key ? sessionStorage.setItem(KEY, key) : sessionStorage.removeItem(KEY));

/** An answer that is not 2xx: the service's own message and status. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

let onUnauthorized = () => {};
export const whenUnauthorized = (handler) => (onUnauthorized = handler);

function headersWith(extra = {}, key = storedKey()) {
  return key ? { ...extra, 'x-api-key': key } : extra;
}

/** JSON in and out; `body` a FormData, string or object (sent as JSON). */
export async function api(path, { method = 'GET', body, headers = {}, key } = {}) {
  const init = { method, headers: headersWith(headers, key) };
  if (body !== undefined) {
    if (body instanceof FormData || typeof body === 'string') init.body = body;
    else {
      init.body = JSON.stringify(body);
      init.headers['content-type'] = 'application/json';
    }
  }
  const res = await fetch(`/api/${path}`, init);
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { message: text };
  }
  if (res.status === 401 && key === undefined) onUnauthorized();
  if (!res.ok) throw new ApiError(res.status, data?.message || `${res.status} ${res.statusText}`);
  return data;
}

/**
 * Follows /api/console/events (server-sent events, read with fetch so the key
 * goes in a header) and calls onEvent per device event, reconnecting with
 * back-off until `signal` aborts. onState gets 'live' | 'reconnecting'.
 */
export async function followEvents(device, onEvent, onState, signal) {
  const query = device ? `?device=${encodeURIComponent(device)}` : '';
  let wait = 500;
  while (!signal.aborted) {
    try {
      const res = await fetch(`/api/console/events${query}`, { headers: headersWith({ accept: 'text/event-stream' }), signal });
      if (res.status === 401) return onUnauthorized();
      if (!res.ok || !res.body) throw new Error(`live readings: ${res.status}`);
      onState('live');
      wait = 500;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split('\n')
            .filter((line) => line.startsWith('data: '))
            .map((line) => line.slice(6))
            .join('\n');
          if (data) onEvent(JSON.parse(data));
        }
      }
    } catch {
      if (signal.aborted) return;
    }
    onState('reconnecting');
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 2, 10_000);
  }
}

export const enc = encodeURIComponent;
