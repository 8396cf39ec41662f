/**
 * The shared boot of every service: a Nest app on fastify with the EdgeX
 * conventions (global prefix /api/v3, error envelope, X-Correlation-ID, optional
 * API key, /ping /version /config) and the body handling services rely on.
 *
 * Everything is per app (fastify instance, filter, hooks, DI container), so
 * the one-process gateway can run several services side by side on different
 * ports. The exceptions are process-wide by nature: Nest's static Logger,
 * signal handlers (see `shutdownHooks`) and Node's own metrics (shared by
 * every service's /metrics, see metrics/process-metrics.ts).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { DynamicModule, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { ErrorKind, GatewayError, NAME_MAX_LENGTH } from '@gw/contracts';
import { apiKeyHook } from './auth';
import { listenError } from './listen-error';
import { clientErrorHandler } from './client-error';
import { enableCors } from './cors';
import type { CommonServiceConfig } from './config';
import { EdgeXExceptionFilter } from './error.filter';
import { createLogger, Logger, NestPinoLogger } from './logger';
import type { MetricSet } from './metrics/scraped';
import { serviceMetrics } from './metrics/service-metrics';
import type { ServiceApi } from './openapi/api-routes';
import { commonRoutes } from './openapi/common-routes';
import { recordApi, recordRoutes } from './openapi/route-recorder';
import { serveOpenApi } from './openapi/serve';
import { QueryGate, queryGateMetrics, QueryGateOptions } from './query-admission';
import { FileSecretStore } from './secrets/secret-store';
import { redactConfig } from './redact';
import { ServiceKitModule } from './service-kit.module';
import type { ReadinessCheck } from './startup/readiness';
import { SERVICE_LOGGER } from './tokens';

export const API_PREFIX = 'api/v3';
export const CORRELATION_HEADER = 'x-correlation-id';
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Content types whose body reaches the controller as a string, for endpoints that take YAML. */
export const YAML_CONTENT_TYPES = ['application/x-yaml', 'application/yaml', 'text/yaml', 'text/x-yaml'];

export interface ServiceAppOptions {
  /** The service's root Nest module. */
  module: Type<unknown> | DynamicModule;
  /** Fallback name; the configured `config.serviceName` wins (operators may rename a service). */
  serviceName?: string;
  version: string;
  config: CommonServiceConfig & object;
  /** Defaults to createLogger(serviceName, config.logLevel). */
  logger?: Logger;
  /** Keys to hide in GET /api/v3/config besides secret() fields and secret-looking keys. */
  secretKeys?: string[];
  /** What GET /api/v3/ready checks: busReadiness(bus) for a service on the bus. */
  readiness?: readonly ReadinessCheck[];
  /**
   * What GET /api/v3/metrics serves besides Node's figures and the REST
   * requests: busMetrics(bus) for a service on the bus, the service's own sets.
   */
  metrics?: readonly MetricSet[];
  /**
   * Routes marked @AdmittedQuery() (listings whose cost grows with `limit`)
   * wait their turn at the service's gate (query-admission.ts), with its
   * gw_http_queries_* metrics; without this option the mark does nothing.
   */
  queryAdmission?: QueryGateOptions;
  /** The store POST /api/v3/secret writes (default: a FileSecretStore in config.dataDir); pass yours to read from it too. */
  secrets?: FileSecretStore;
  /**
   * The service's own settings (its config schema's keys): the start log and
   * GET /api/v3/config show only these, not what a shared config (the
   * one-process gateway's) also carries. Default: everything in `config`.
   */
  configKeys?: readonly string[];
  /**
   * Close the app on SIGTERM/SIGINT (default true). Nest re-raises the signal
   * after closing, which would kill the other services of a one-process gateway
   * mid-shutdown: the gateway passes false and closes its apps itself.
   */
  shutdownHooks?: boolean;
  /**
   * The service's routes for its OpenAPI document (GET /api/v3/openapi.json;
   * Swagger UI at /api/v3/docs unless openapiUi is false); the routes every
   * service has are added. Called on the first request for the document, so
   * a service imports its route list then (`async () => (await import('./http/openapi')).api`), not at boot.
   */
  api?: () => ServiceApi | Promise<ServiceApi>;
}

export async function createServiceApp(options: ServiceAppOptions): Promise<NestFastifyApplication> {
  const { config } = options;
  const serviceName = config.serviceName || options.serviceName || 'service';
  const logger = options.logger ?? createLogger(serviceName, config.logLevel);
  const gate = options.queryAdmission && new QueryGate(options.queryAdmission, logger);
  const metrics = serviceMetrics(serviceName, [...(options.metrics ?? []), ...(gate ? [queryGateMetrics(gate)] : [])]);

  @Module({
    imports: [
      ServiceKitModule.forRoot({
        serviceName,
        version: options.version,
        config,
        secretKeys: options.secretKeys,
        configKeys: options.configKeys,
        readiness: options.readiness,
        logger,
        metrics: metrics.registry,
        secrets: options.secrets ?? new FileSecretStore(config.dataDir ?? './data', serviceName),
      }),
      options.module,
    ],
  })
  class ServiceRootModule {}

  const adapter = new FastifyAdapter({
    bodyLimit: config.maxBody,
    // fastify answers 404 for a path parameter over 100 characters (its default);
    // a name may have NAME_MAX_LENGTH characters, each up to 12 when percent-encoded.
    routerOptions: { maxParamLength: NAME_MAX_LENGTH * 12 },
    // EdgeX's correlation header doubles as fastify's request id: a caller's id is
    // kept end to end (when it is a sane token: it is echoed, logged and put on the
    // bus), otherwise a fresh uuid is made; it is echoed on the answer.
    requestIdHeader: false,
    genReqId: (request: IncomingMessage) => {
      const given = request.headers[CORRELATION_HEADER];
      return typeof given === 'string' && CORRELATION_ID.test(given) ? given : randomUUID();
    },
    disableRequestLogging: true,
    // An oversized URL (431) and other requests node refuses before routing: the EdgeX envelope too.
    clientErrorHandler: clientErrorHandler(logger),
  });
  const app = await NestFactory.create<NestFastifyApplication>(ServiceRootModule, adapter, {
    logger: new NestPinoLogger(logger),
    abortOnError: false, // throw instead of process.exit: the caller decides (and tests see the error)
    bodyParser: false, // fastify's own parsers, configured below
  });

  const fastify = app.getHttpAdapter().getInstance();
  recordRoutes(app, fastify);
  registerBodyParsers(fastify);
  await app.register(multipart, { limits: { fileSize: config.maxBody } });

  fastify.addHook('onRequest', async (request, reply) => {
    reply.header(CORRELATION_HEADER, request.id);
  });
  // Before the key check: a browser's preflight carries no key.
  if (config.corsOrigins?.length) enableCors(fastify, config.corsOrigins);
  if (config.apiKey) fastify.addHook('onRequest', apiKeyHook(config.apiKey));
  fastify.addHook('onResponse', metrics.onResponse);
  fastify.addHook('onResponse', async (request, reply) => {
    const { id: reqId, method, url } = request;
    const ms = Math.round(reply.elapsedTime * 10) / 10;
    logger.debug({ reqId, method, url, statusCode: reply.statusCode, ms }, 'request');
  });

  // After the key check: a request refused for its key never takes a turn.
  gate?.install(fastify);

  if (options.api) {
    const api = options.api;
    const ui = config.openapiUi ?? true;
    const common = commonRoutes({ metrics: true, secrets: true, docs: ui });
    const served = async () => {
      const own = await api();
      return { ...own, routes: [...common, ...own.routes] };
    };
    recordApi(app, served);
    serveOpenApi(fastify, { ui, info: { serviceName, version: options.version }, api: served });
  }

  app.setGlobalPrefix(API_PREFIX);
  app.useGlobalFilters(new EdgeXExceptionFilter(logger, config.maxBody));
  if (options.shutdownHooks ?? true) app.enableShutdownHooks();

  logger.info(
    { version: options.version, config: redactConfig(config, options.secretKeys, options.configKeys), auth: Boolean(config.apiKey) },
    'starting',
  );
  return app;
}

/**
 * JSON through fastify's own safe parser (prototype-poisoning checks), but with
 * an error that tells the client what is wrong; YAML as raw text for the
 * endpoints that parse it themselves (with line numbers in their errors).
 * text/plain keeps fastify's default parser; multipart comes from @fastify/multipart.
 */
function registerBodyParsers(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body: string, done) => {
    parseJson(request, body, (err, value) => {
      if (!err) return done(null, value);
      const message =
        body.length === 0
          ? 'request body is empty but Content-Type is application/json'
          : `request body is not valid JSON: ${err.message}`;
      done(new GatewayError(ErrorKind.ContractInvalid, message, { cause: err }), undefined);
    });
  });
  fastify.addContentTypeParser(YAML_CONTENT_TYPES, { parseAs: 'string' }, (_request, body, done) => done(null, body));
}

export { listenError };

/** Listens on the configured host and port; returns the URL it answers on. */
export async function listenService(
  app: NestFastifyApplication,
  config: Pick<CommonServiceConfig, 'host' | 'port'>,
): Promise<string> {
  const logger = app.get<Logger>(SERVICE_LOGGER);
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    throw listenError(err, config.host, config.port);
  }
  const url = await app.getUrl();
  logger.info({ url }, 'listening');
  return url;
}
