import { AddEventRequestLimits, ErrorKind, Event, GatewayError, OversizedEventError, Page, PageQuery, parseAddEventRequest, ValidationError } from '@gw/contracts';
import { payloadMismatch } from '../devices/device-check';
import type { DeviceChecking } from '../ingest/bus-ingest';
import type { BatchWriter } from '../ingest/batch-writer';
import type { IngestStats } from '../ingest/ingest-stats';
import type { EventFilter, EventStore } from '../persistence/event-store';
import { deleteInBatches } from './batched-delete';

/** Where a REST-ingested event says it comes from (the URL path). */
export interface EventSource {
  serviceName: string;
  profileName: string;
  deviceName: string;
  sourceName: string;
}

const NANOS_PER_MS = 1_000_000;

export class EventsService {
  constructor(
    private readonly store: EventStore,
    private readonly writer: BatchWriter,
    private readonly stats: IngestStats,
    private readonly deleteBatch: number,
    private readonly clock: () => number = Date.now,
    private readonly limits: AddEventRequestLimits = {},
    private readonly devices?: DeviceChecking,
    /** Told of every event stored through REST (core-data publishes them on the bus, as EdgeX does). */
    private readonly onStored?: (event: Event, source: EventSource) => void,
  ) {}

  /**
   * REST ingest: validated like a bus message, checked against the path and
   * against core-metadata (404 for a device it does not know, 400 for another
   * profile or service, 503 when it cannot be asked), and answered once
   * committed (it shares batches with the bus traffic).
   */
  async add(source: EventSource, body: unknown): Promise<{ id: string; requestId?: string }> {
    let event: Event;
    let requestId: string | undefined;
    try {
      ({ event, requestId } = parseAddEventRequest(body, this.limits));
    } catch (err) {
      this.stats.rejected++;
      if (err instanceof OversizedEventError) this.stats.oversized++;
      throw err;
    }
    if (this.devices) {
      await this.checkDevice(event, source);
    } else {
      const mismatch = payloadMismatch(event, source, 'URL path');
      if (mismatch) {
        this.stats.rejected++;
        throw new ValidationError([{ path: mismatch.path, message: mismatch.message }]);
      }
    }
    const batch = await this.writer.add(event, true);
    const problem = batch.problemWith(event.id, await batch.done);
    if (problem) throw problem;
    this.onStored?.(event, source);
    return { id: event.id, requestId };
  }

  private async checkDevice(event: Event, source: EventSource): Promise<void> {
    const { check, refusals } = this.devices!;
    const context = { path: `/event/${source.serviceName}/${source.profileName}/${source.deviceName}/${source.sourceName}`, device: event.deviceName };
    let refusal;
    try {
      refusal = await check.check(event, source, 'URL path');
    } catch (err) {
      refusals.count('unverified', { ...context, err: (err as Error).message });
      throw err;
    }
    if (!refusal) return;
    refusals.count(refusal.reason, { ...context, field: refusal.path, err: refusal.message });
    if (refusal.reason === 'unknownDevice') throw new GatewayError(ErrorKind.EntityNotFound, `${refusal.path}: ${refusal.message}`);
    if (refusal.reason === 'unverified') throw new GatewayError(ErrorKind.ServiceUnavailable, `${refusal.path}: ${refusal.message}`);
    throw new ValidationError([{ path: refusal.path, message: refusal.message }]);
  }

  page(filter: EventFilter, page: PageQuery): Promise<Page<Event>> {
    return this.store.events(filter, page);
  }

  count(filter: EventFilter): Promise<number> {
    return this.store.countEvents(filter);
  }

  async byId(id: string): Promise<Event> {
    const event = await this.store.eventById(id);
    if (!event) throw new GatewayError(ErrorKind.EntityNotFound, `event ${id} does not exist`);
    return event;
  }

  async deleteById(id: string): Promise<void> {
    if (!(await this.store.deleteEventById(id))) throw new GatewayError(ErrorKind.EntityNotFound, `event ${id} does not exist`);
  }

  deleteByDevice(deviceName: string): Promise<number> {
    return deleteInBatches(this.store, { deviceName }, this.deleteBatch);
  }

  /** EdgeX's DELETE /event/age/{age}: events whose origin is more than `ageNs` nanoseconds ago. */
  deleteOlderThan(ageNs: number): Promise<number> {
    return deleteInBatches(this.store, { originBefore: this.clock() * NANOS_PER_MS - ageNs }, this.deleteBatch);
  }
}
