import type { AddEventRequest, Event } from '@gw/contracts';
import { errorKindForStatus, redactUrl, Topics, withTimeout } from '@gw/contracts';
import { HttpCallError } from '@gw/clients';
import { toBusConfig } from '@gw/service-kit/config';
import type { CliConfig } from '../config';
import { UnreachableError } from '../failure';

/** A live feed of device events until `stop` resolves; resolves when it has stopped. */
export type EventFeed = (onEvent: (event: Event) => void, stop: Promise<void>) => Promise<void>;

/**
 * Where live events come from: the broker itself when GW_BUS_TYPE is mqtt or
 * redis, else the web console's server-sent event stream (the one-process
 * gateway's in-process bus is reachable from another process only that way).
 */
export function eventFeed(config: CliConfig, device: string | undefined): EventFeed {
  return config.busType === 'memory' ? consoleFeed(config, device) : busFeed(config);
}

/** Every device event from the bus (MQTT or Redis), as the services connect to it (GW_BUS_*). */
function busFeed(config: CliConfig): EventFeed {
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
    try {
      await bus.subscribe(new Topics(config.topicBase).allEvents(), (envelope) => {
        const event = (envelope.payload as Partial<AddEventRequest> | undefined)?.event;
        if (event?.readings) onEvent(event);
      });
      await stop;
    } finally {
      await bus.close();
    }
  };
}

/** The console's GET /api/console/events (server-sent events, one `data:` JSON event each). */
function consoleFeed(config: CliConfig, device: string | undefined): EventFeed {
  return async (onEvent, stop) => {
    const url = `${config.consoleUrl.replace(/\/$/, '')}/api/console/events${device === undefined ? '' : `?device=${encodeURIComponent(device)}`}`;
    const abort = new AbortController();
    void stop.then(() => abort.abort());
    const headersTimer = setTimeout(() => abort.abort(new Error('timeout')), config.requestTimeout);
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: 'text/event-stream', ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}) },
        signal: abort.signal,
      });
    } catch (err) {
      if (abort.signal.aborted && abort.signal.reason === undefined) return; // stopped before it began
      const reason = (err as { cause?: { code?: string } }).cause?.code ?? (abort.signal.aborted ? 'no answer in time' : (err as Error).message);
      throw new UnreachableError(
        `cannot reach the console at ${config.consoleUrl} (${reason === 'ECONNREFUSED' ? 'connection refused' : reason}): ` +
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
      throw new HttpCallError(errorKindForStatus(response.status), message, 'GET', url, response.status);
    }
    let buffered = '';
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const message = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const data = message
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trimStart())
            .join('\n');
          if (data) onEvent(JSON.parse(data) as Event);
        }
      }
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    }
    if (!abort.signal.aborted) throw new UnreachableError(`the console at ${config.consoleUrl} closed the live stream`);
  };
}
