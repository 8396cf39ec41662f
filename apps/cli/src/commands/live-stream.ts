import type { AddEventRequest, Event } from '@gw/contracts';
import { errorKindForStatus, redactUrl, Topics, withTimeout } from '@gw/contracts';
import { HttpCallError, oneLine } from '@gw/clients';
import { toBusConfig } from '@gw/service-kit/config';
import type { CliConfig } from '../config';
import { UnreachableError } from '../failure';
import { SseParser } from './sse-parser';

/** How often readings tail looks whether the broker connection is still up (the bus has no event for a loss, only for the reconnect). */
const LOSS_CHECK_MS = 1_000;

/** A live feed of device events until `stop` resolves; resolves when it has stopped. */
export type EventFeed = (onEvent: (event: Event) => void, stop: Promise<void>) => Promise<void>;

/**
 * Where live events come from: the broker itself when GW_BUS_TYPE is mqtt or
 * redis, else the web console's server-sent event stream (the one-process
 * gateway's in-process bus is reachable from another process only that way).
 */
export function eventFeed(config: CliConfig, device: string | undefined): EventFeed {
  return config.busType === 'memory' ? consoleFeed(config, device) : busFeed(config, device);
}

/** Every device event from the bus (MQTT or Redis), as the services connect to it (GW_BUS_*); only `device`'s when one is named. */
function busFeed(config: CliConfig, device: string | undefined): EventFeed {
  return async (onEvent, stop) => {
    const { createMessageBus } = await import('@gw/messaging');
    const bus = createMessageBus(toBusConfig(config, `gw-cli-${process.pid}`));
    const where = redactUrl(config.busUrl ?? `the local ${config.busType} broker`);
    try {
      await withTimeout(bus.connect(), config.requestTimeout, `connect to ${where}`);
    } catch (err) {
      await bus.close().catch(() => undefined);
      throw new UnreachableError(`cannot reach the ${config.busType} broker at ${where} (${(err as Error).message}): GW_BUS_URL sets the address`);
    }
    // The bus reconnects by itself; the user is told when the broker goes away and when it is back.
    let lost = false;
    const lossCheck = setInterval(() => {
      if (lost || bus.connected) return;
      lost = true;
      process.stderr.write(`gw: note: lost the broker at ${where}; waiting for it (readings published meanwhile are missed)\n`);
    }, LOSS_CHECK_MS);
    const offReconnect = bus.onReconnect(() => {
      if (lost) process.stderr.write(`gw: note: the broker at ${where} is back\n`);
      lost = false;
    });
    try {
      await bus.subscribe(deviceEventsFilter(new Topics(config.topicBase), device), (envelope) => {
        const event = (envelope.payload as Partial<AddEventRequest> | undefined)?.event;
        if (event?.readings) onEvent(event);
      });
      await stop;
    } finally {
      clearInterval(lossCheck);
      offReconnect();
      await bus.close();
    }
  };
}

/** The topics of `device`'s events (events/{device|core}/{service}/{profile}/{device}/{source}), or of all events when no device is named or its name cannot be a topic level. */
export function deviceEventsFilter(topics: Topics, device: string | undefined): string {
  return device !== undefined && /^[^/+#]+$/.test(device) ? topics.join('events', '+', '+', '+', device, '#') : topics.allEvents();
}

/** The console's GET /api/console/events (server-sent events, one `data:` JSON event each); malformed events are skipped and counted. */
function consoleFeed(config: CliConfig, device: string | undefined): EventFeed {
  return async (onEvent, stop) => {
    const consoleUrl = redactUrl(config.consoleUrl);
    const url = `${config.consoleUrl.replace(/\/$/, '')}/api/console/events${device === undefined ? '' : `?device=${encodeURIComponent(device)}`}`;
    const abort = new AbortController();
    let stopped = false;
    void stop.then(() => {
      stopped = true;
      abort.abort();
    });
    const headersTimer = setTimeout(() => abort.abort(new Error('timeout')), config.requestTimeout);
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: 'text/event-stream', ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}) },
        signal: abort.signal,
      });
    } catch (err) {
      if (stopped) return; // Ctrl-C before the stream began
      const reason = (err as { cause?: { code?: string } }).cause?.code ?? (abort.signal.aborted ? 'no answer in time' : (err as Error).name);
      throw new UnreachableError(
        `cannot reach the console at ${consoleUrl} (${reason === 'ECONNREFUSED' ? 'connection refused' : reason}): ` +
          'gw readings tail follows its live stream; GW_CONSOLE_URL sets the address, or set GW_BUS_TYPE and GW_BUS_URL to read the broker itself',
      );
    } finally {
      clearTimeout(headersTimer);
    }
    if (!response.ok) {
      const text = await response.text();
      let message = text || response.statusText;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        // not JSON: the text as it came
      }
      throw new HttpCallError(errorKindForStatus(response.status), oneLine(message), 'GET', redactUrl(url), response.status);
    }
    const type = response.headers.get('content-type') ?? '';
    if (!/^text\/event-stream\b/i.test(type)) {
      abort.abort();
      throw new UnreachableError(`${consoleUrl} answered ${type || 'no content type'}, not an event stream: is GW_CONSOLE_URL the web console?`);
    }
    const parser = new SseParser();
    let malformed = 0;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        for (const data of parser.push(decoder.decode(chunk, { stream: true }))) {
          let event: Partial<Event> | undefined;
          try {
            event = JSON.parse(data) as Partial<Event>;
          } catch {
            event = undefined;
          }
          if (event && typeof event === 'object' && typeof event.deviceName === 'string' && Array.isArray(event.readings)) onEvent(event as Event);
          else if (malformed++ === 0) process.stderr.write(`gw: note: the console sent an event that is not an EdgeX event; skipped (more are counted)\n`);
        }
      }
    } catch (err) {
      if (!stopped) throw err;
    } finally {
      const skipped = malformed + parser.oversized;
      if (skipped > 1 || parser.oversized) process.stderr.write(`gw: note: ${skipped} event${skipped === 1 ? '' : 's'} skipped (not EdgeX events, or larger than 1 MiB)\n`);
    }
    if (!stopped) throw new UnreachableError(`the console at ${consoleUrl} closed the live stream`);
  };
}
