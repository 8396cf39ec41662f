/**
 * Admission control for REST reads whose cost grows with their `limit`.
 *
 * A listing runs its query and serializes its answer in one stretch of the
 * event loop (better-sqlite3 is synchronous). Requests that arrive together
 * are all handled in one poll phase of the loop, so timers (device polling,
 * batch flushes) wait until every one of them has run. The gate lets at most
 * `maxConcurrent` such requests run at a time; the others wait in a bounded
 * FIFO and are resumed from setImmediate, one per turn, so timers and I/O get
 * a turn between two heavy requests. A slot is free again only on the
 * loop's next turn, even when nobody waits: a synchronous query is over
 * before the next request of the same poll phase is read, so without that
 * pause the gate would never see two at once and let them all run back to
 * back. Beyond the queue's bound: 503 with Retry-After, counted.
 *
 * A route opts in with `@AdmittedQuery()`; every other route (ping, ready,
 * metrics, small lookups) never waits and carries no extra hook. A slot is
 * taken in preHandler and given back once the answer is serialized (onSend),
 * or when the response ends or the client goes away, whichever comes first;
 * a request whose client leaves while it waits leaves the queue.
 */
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ThrottledLog } from '@gw/messaging';
import { errorResponse } from './envelope';
import type { Logger } from './logger';
import type { MetricSet } from './metrics/scraped';
import { scrapedCounter, scrapedGauge } from './metrics/scraped';

/** The route config key `@AdmittedQuery()` sets. */
const CONFIG_KEY = 'admittedQuery';
/** A request's place at the gate (a request decoration, so no per-request object). */
const STATE = 'queryAdmission';
const NONE = 0;
const WAITING = 1;
const RUNNING = 2;

/** Seconds a client refused for a full queue is told to wait. */
export const RETRY_AFTER_S = 1;

/** Marks a route whose cost grows with its `limit`: it runs only when the service's QueryGate admits it. */
export const AdmittedQuery = () => RouteConfig({ [CONFIG_KEY]: true });

export interface QueryGateOptions {
  /** Requests that run their query and serialization at the same time. */
  maxConcurrent: number;
  /** Requests that may wait for a slot; one more is answered 503. */
  queueLimit: number;
  /** The variable that sets queueLimit, named in the 503 and the log (GW_CORE_DATA_QUERY_QUEUE_LIMIT). */
  queueSetting: string;
}

interface Waiter {
  request: FastifyRequest;
  done: HookHandlerDoneFunction;
}

type GatedRequest = FastifyRequest & { [STATE]: number };

export class QueryGate {
  /** Slots taken, including one being handed over to the next waiter. */
  running = 0;
  /** Requests admitted (at once or after waiting). */
  admitted = 0;
  /** Requests answered 503 because the queue was full. */
  rejected = 0;
  private readonly queue: Waiter[] = [];
  private readonly log: ThrottledLog;

  constructor(
    private readonly options: QueryGateOptions,
    logger: Logger,
  ) {
    this.log = new ThrottledLog((o, m) => logger.warn(o, m));
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Adds the gate's hooks to every route marked @AdmittedQuery(); call before the app registers its routes (app.init). */
  install(fastify: FastifyInstance): void {
    fastify.decorateRequest(STATE, NONE);
    fastify.addHook('onRoute', (route) => {
      if (!(route.config as Record<string, unknown> | undefined)?.[CONFIG_KEY]) return;
      // fastify copies a GET route's options (hooks included) into its HEAD route: add them once.
      if (hooks(route.preHandler).includes(this.enter)) return;
      route.preHandler = [...hooks(route.preHandler), this.enter];
      route.onSend = [...hooks(route.onSend), this.onSend];
      route.onResponse = [...hooks(route.onResponse), this.onResponse];
      route.onRequestAbort = [...hooks(route.onRequestAbort), this.onAbort];
    });
  }

  private readonly enter = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const gated = request as GatedRequest;
    if (this.running < this.options.maxConcurrent && this.queue.length === 0) {
      this.running++;
      this.admitted++;
      gated[STATE] = RUNNING;
      done();
    } else if (this.queue.length < this.options.queueLimit) {
      gated[STATE] = WAITING;
      this.queue.push({ request, done });
    } else {
      this.refuse(request, reply);
    }
  };

  private refuse(request: FastifyRequest, reply: FastifyReply): void {
    this.rejected++;
    const message = `too many queries wait for their turn (${this.queue.length}, ${this.options.queueSetting}): retry after ${RETRY_AFTER_S} s`;
    this.log.write({ route: request.routeOptions.url, rejectedTotal: this.rejected }, `refused a query: ${message}`);
    reply.code(503).header('retry-after', String(RETRY_AFTER_S)).type('application/json; charset=utf-8').send(errorResponse(503, message));
  }

  /** The answer is serialized: the slot's work is done (writing it out costs the loop little). */
  private readonly onSend = (request: FastifyRequest, _reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void): void => {
    this.leave(request as GatedRequest);
    done(null, payload);
  };

  private readonly onResponse = (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    this.leave(request as GatedRequest);
    done();
  };

  private readonly onAbort = (request: FastifyRequest, done: HookHandlerDoneFunction): void => {
    this.leave(request as GatedRequest);
    done();
  };

  /** Gives back the request's slot or its place in the queue; a second call does nothing. */
  private leave(request: GatedRequest): void {
    const state = request[STATE];
    request[STATE] = NONE;
    if (state === WAITING) {
      // Its client went away while it waited: it leaves the queue and is never run.
      const at = this.queue.findIndex((w) => w.request === request);
      if (at >= 0) this.queue.splice(at, 1);
    } else if (state === RUNNING) {
      // Not freed at once: a synchronous query finishes before the next request
      // of the same poll phase is read, which would then find the slot free, and
      // every request of that phase would run back to back, timers waiting.
      setImmediate(this.handOver);
    }
  }

  /** The freed slot goes to the oldest waiter, on a later turn of the loop than the request that freed it. */
  private readonly handOver = (): void => {
    const next = this.queue.shift();
    if (!next) {
      this.running--;
      return;
    }
    this.admitted++;
    (next.request as GatedRequest)[STATE] = RUNNING;
    next.done();
  };
}

function hooks<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** The gate's figures on a service's /api/v3/metrics. */
export function queryGateMetrics(gate: QueryGate): MetricSet {
  return (registry) => {
    scrapedGauge(registry, { name: 'gw_http_queries_running', help: 'Admitted history queries running (query and serialization)' }, () => gate.running);
    scrapedGauge(registry, { name: 'gw_http_queries_waiting', help: 'History queries waiting for a slot' }, () => gate.waiting);
    scrapedCounter(registry, { name: 'gw_http_queries_admitted_total', help: 'History queries admitted, at once or after waiting' }, () => gate.admitted);
    scrapedCounter(
      registry,
      { name: 'gw_http_queries_rejected_total', help: 'History queries answered 503 because the queue of waiting ones was full' },
      () => gate.rejected,
    );
  };
}
