import type { Event } from '@gw/contracts';
import type { HandBack } from '@gw/messaging';
import type { EventSource } from '../domain/events.service';
import type { IngestStats } from './ingest-stats';

/** An event from the bus that core-metadata must vouch for, and where it came from. */
export interface ParkedEvent {
  event: Event;
  source: EventSource;
  topic: string;
  correlationID: string;
  /**
   * Tells the bus the event is decided (stored and committed, or refused): it
   * is acknowledged then, not before; or, given a HandBack, that it is left
   * for the broker's next session (core-data stopped first).
   */
  settle?: (handBack?: HandBack) => void;
}

/**
 * Events from the bus waiting for core-metadata to answer (it was unreachable
 * when they had to be checked), oldest first, bounded by their readings.
 * They stay unacknowledged until decided, so a crash loses none (the broker
 * delivers them again).
 */
export class ParkingLot {
  private parked: ParkedEvent[] = [];
  private readings = 0;

  constructor(
    private readonly limitReadings: number,
    private readonly stats: IngestStats,
  ) {}

  get size(): number {
    return this.parked.length;
  }

  /** Parks the event; false when it does not fit. */
  park(item: ParkedEvent): boolean {
    const readings = item.event.readings.length;
    if (this.readings + readings > this.limitReadings) return false;
    this.parked.push(item);
    this.readings += readings;
    this.stats.parkedEvents = this.parked.length;
    return true;
  }

  /** Takes every parked event out, oldest first. */
  takeAll(): ParkedEvent[] {
    const all = this.parked;
    this.parked = [];
    this.readings = 0;
    this.stats.parkedEvents = 0;
    return all;
  }

  /** Puts events taken out back in front of those parked since, keeping their order. */
  putBack(items: ParkedEvent[]): void {
    if (!items.length) return;
    this.parked = [...items, ...this.parked];
    this.readings = this.parked.reduce((sum, item) => sum + item.event.readings.length, 0);
    this.stats.parkedEvents = this.parked.length;
  }
}
