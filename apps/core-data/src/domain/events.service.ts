import { AddEventRequestLimits, ErrorKind, Event, GatewayError, OversizedEventError, Page, PageQuery, parseAddEventRequest, ValidationError } from '@gw/contracts';
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
  ) {}

  /**
   * REST ingest: validated like a bus message, checked against the path, and
   * answered once committed (it shares batches with the bus traffic).
   */
  async add(source: EventSource, body: unknown): Promise<{ id: string; requestId?: string }> {
    let event: Event;
    let requestId: string | undefined;
    try {
      ({ event, requestId } = parseAddEventRequest(body, this.limits));
      assertMatchesPath(event, source);
    } catch (err) {
      this.stats.rejected++;
      if (err instanceof OversizedEventError) this.stats.oversized++;
      throw err;
    }
    const batch = await this.writer.add(event, true);
    const problem = batch.problemWith(event.id, await batch.done);
    if (problem) throw problem;
    return { id: event.id, requestId };
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

/** EdgeX: the event's profile, device and source must be the ones the URL names. */
function assertMatchesPath(event: Event, source: EventSource): void {
  const issues = (['profileName', 'deviceName', 'sourceName'] as const)
    .filter((field) => event[field] !== source[field])
    .map((field) => ({ path: `event.${field}`, message: `"${event[field]}" does not match "${source[field]}" in the URL path` }));
  if (issues.length) throw new ValidationError(issues);
}
