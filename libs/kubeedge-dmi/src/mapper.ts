/**
 * A device service as a KubeEdge mapper (DMI v1beta1): it serves
 * DeviceMapperService on its own unix socket, registers with edgecore's
 * DeviceManagerService (again whenever edgecore comes back), turns the
 * devices and models edgecore sends into core-metadata's, reports the
 * device's twins from the service's own events and its state from
 * metadata's, and writes desired twin values through the command path.
 * Loaded only in mapper mode (it loads gRPC): see index.ts.
 */
import { Clock, Device as EdgeXDevice, SystemEvent, systemClock, Topics } from '@gw/contracts';
import type { MessageBus, MessageEnvelope, Subscription } from '@gw/messaging';
import { CallBudget, CallBudgetOptions, MAPPER_DMI_BUDGET } from './call-budget';
import { grpc } from './dmi-proto';
import { EdgecoreLink } from './edgecore-link';
import { KubeEdgeDevices, MapperCommands, MapperMetadata } from './kubeedge-devices';
import type { MapperLogger } from './log';
import { MapperServer, startMapperServer } from './mapper-server';
import { SettledDesired } from './settled-desired';
import { TwinReporter } from './twin-reporter';

export interface KubeEdgeMapperOptions {
  /** The device service's name: the mapper's name in edgecore, and the owner of the devices in core-metadata. */
  serviceName: string;
  /** The protocol edgecore routes devices by (their spec.protocol.protocolName): the driver's name, as `gw export kubeedge` writes it. */
  protocol: string;
  /** The EdgeX protocol keys the driver reads (DriverDescriptor.edgexProtocols): a device's configData.edgexProtocol must be one. */
  edgexProtocols: readonly string[];
  /** edgecore's DMI socket. */
  dmiSocket: string;
  /** The socket this mapper serves DeviceMapperService on (sent to edgecore in MapperRegister). */
  mapperSocket: string;
  version: string;
  /** Backoff between registrations while edgecore is away. */
  retry: { initialMs: number; maxMs: number };
  /** Deadline of each call to edgecore (default 5 s). */
  callTimeoutMs?: number;
  /** Where the desired values applied are kept across restarts (a JSON file under GW_DATA_DIR); none: in memory only. */
  settledFile?: string;
  /** The mapper's share of edgecore's DMI rate limit (default: 95% of edgecore's 1 call/s with a burst of 100). */
  callLimit?: CallBudgetOptions;
}

export interface KubeEdgeMapperDeps {
  metadata: MapperMetadata;
  commands: MapperCommands;
  bus: MessageBus;
  topics: Topics;
  logger: MapperLogger;
  clock?: Clock;
  /** Registration with edgecore waits for this (the device service loaded from core-metadata); default: at once. */
  registerAfter?: Promise<unknown>;
}

export interface RunningKubeEdgeMapper {
  /** Resolves once the current registration with edgecore (after `registerAfter`) succeeded and its devices were applied. */
  registered(): Promise<void>;
  stats(): { registrations: number; devices: number; twinReports: { reported: number; failed: number; pending: number } };
  close(): Promise<void>;
}

/** The DMI api_version mappers built on KubeEdge's mapper-framework send. */
export const MAPPER_API_VERSION = 'v1.0.0';

export async function startKubeEdgeMapper(options: KubeEdgeMapperOptions, deps: KubeEdgeMapperDeps): Promise<RunningKubeEdgeMapper> {
  const clock = deps.clock ?? systemClock;
  const { logger, bus, topics } = deps;
  let link: EdgecoreLink | undefined;
  const reporter = new TwinReporter((request) => link!.reportStatus(request), logger, clock);
  const settled = await SettledDesired.open(options.settledFile, logger);
  const devices = new KubeEdgeDevices(
    {
      serviceName: options.serviceName,
      edgexProtocols: options.edgexProtocols,
      writeRetry: { initialMs: 50, maxMs: 2_000, attempts: 10, unreachableMaxMs: options.retry.maxMs },
      retry: options.retry,
    },
    deps.metadata,
    deps.commands,
    reporter,
    (ref, state) => link!.reportStates({ deviceName: ref.name, deviceNamespace: ref.namespace, state }),
    settled,
    logger,
    clock,
  );
  const subscriptions: Subscription[] = [];
  let server: MapperServer | undefined;
  const close = async () => {
    await devices.close();
    await link?.close();
    await Promise.all(subscriptions.splice(0).map((s) => s.unsubscribe().catch(() => undefined)));
    await server?.close();
  };
  try {
    subscriptions.push(
      await bus.subscribe(topics.join('events', 'device', options.serviceName, '#'), (envelope: MessageEnvelope) => {
        const event = (envelope.payload as { event?: unknown } | undefined)?.event;
        if (event && typeof event === 'object' && Array.isArray((event as { readings?: unknown }).readings)) devices.eventPublished(event as never);
      }),
      await bus.subscribe(topics.systemEventsFor(options.serviceName), (envelope: MessageEnvelope) => {
        const event = envelope.payload as SystemEvent | undefined;
        if (event?.type === 'device' && event.action !== 'delete' && event.details) devices.deviceChanged(event.details as EdgeXDevice);
      }),
    );
    server = await startMapperServer(grpc, options.mapperSocket, devices, logger);
    link = new EdgecoreLink(
      grpc,
      {
        dmiSocket: options.dmiSocket,
        mapper: {
          name: options.serviceName,
          version: options.version,
          api_version: MAPPER_API_VERSION,
          protocol: options.protocol,
          address: Buffer.from(options.mapperSocket),
          state: 'ok',
        },
        retry: options.retry,
        callTimeoutMs: options.callTimeoutMs ?? 5_000,
      },
      (response) => devices.sync(response),
      logger,
      clock,
      new CallBudget(options.callLimit ?? MAPPER_DMI_BUDGET, clock),
    );
    const started = link;
    void (deps.registerAfter ?? Promise.resolve()).then(
      () => started.start(),
      (err: unknown) => logger.error({ err: (err as Error)?.message }, 'the device service did not start: the mapper does not register with edgecore'),
    );
  } catch (err) {
    await close();
    throw err;
  }
  return {
    registered: async () => {
      await deps.registerAfter;
      await link!.registered();
    },
    stats: () => ({ registrations: link!.registrationCount, devices: devices.deviceIds().length, twinReports: reporter.stats() }),
    close,
  };
}
