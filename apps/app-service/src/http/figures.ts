import type { GroupCommitStats } from '../outbox/group-commit';
import type { PipelineFigures } from '../pipeline/pipeline-runner';
import type { ConnectionErrorKind } from '../sinks/connection-error';

/** What the app service reports about its exports, per route (one pipeline feeding one sink). */
export interface RouteFigures {
  /** `<pipeline>.<sink>`. */
  route: string;
  pipeline: string;
  sink: string;
  sinkType: string;
  /** Records the sink accepted. */
  exported: number;
  /** Records waiting in the outbox, and their bytes. */
  pending: number;
  pendingBytes: number;
  dropped: { full: number; expired: number; rejected: number };
  /** Failed delivery attempts (each followed by a back-off). */
  retries: number;
  lastError?: { message: string; at: string };
  lastDeliveredAt?: string;
  /** The sink reaches its destination now (for HTTP sinks: its last request got an answer). */
  connected: boolean;
  /**
   * Sinks that hold a connection (MQTT, AWS IoT, Azure IoT Hub): the last
   * failed connection attempt, with a readable reason (`not authorized
   * (CONNACK 5)`, `certificate rejected by mqtts://...`, `DNS lookup failed
   * for ...`) and a short kind, kept after a later success; and when a
   * connection last came up.
   */
  connectionError?: { reason: ConnectionErrorKind; message: string; at: string };
  lastConnectedAt?: string;
  /** Sinks that read messages from their destination (kubeedge-twin): those it could not read, each logged naming the field. */
  rejectedMessages?: number;
}

/** Where the HTTP side reads the figures from; the running app service provides it. */
export interface ExportFiguresSource {
  routes(): RouteFigures[];
  /** Events received from the bus and how many each pipeline passed on or filtered out. */
  pipelines(): PipelineFigures[];
  /** Commits into the outbox (all pipelines together): how many, and the messages and records they held. */
  outbox(): GroupCommitStats;
}

export const EXPORT_FIGURES = Symbol('app-service.exportFigures');
