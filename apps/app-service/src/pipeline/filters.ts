/**
 * A pipeline's filters, compiled once into one function over events.
 *
 * - A pattern is a regular expression that must match the WHOLE name:
 *   `Boiler` matches only "Boiler"; write `Boiler-.*` for a prefix. Anchors
 *   (`^...$`) may be written and change nothing.
 * - Include filters: a name passes when it matches any pattern given for its
 *   field (same field: OR); every field that has include patterns must pass
 *   (different fields: AND). Which list item a pattern sits in does not matter.
 * - Exclude filters (`exclude: true`) veto what matches ALL the fields of
 *   their item, so `{ device: "Boiler-.*", resource: "Debug.*", exclude: true }`
 *   drops the Debug readings of the boilers and nothing else.
 * - device/profile/source act on the event; resource acts on its readings. An
 *   event left without readings is dropped.
 */
import { Event } from '@gw/contracts';
import type { FilterConfig } from './pipelines-file';

/** The event to export (possibly with fewer readings), or undefined to drop it. */
export type EventFilter = (event: Event) => Event | undefined;

type EventField = 'deviceName' | 'profileName' | 'sourceName';
const EVENT_FIELDS: ReadonlyArray<readonly ['device' | 'profile' | 'source', EventField]> = [
  ['device', 'deviceName'],
  ['profile', 'profileName'],
  ['source', 'sourceName'],
];

/** Why `pattern` is no regular expression, or undefined; the pattern text itself is left out. */
export function patternProblem(pattern: string): string | undefined {
  try {
    // On its own first: `a)(b` is invalid alone but would compile once wrapped in the anchors.
    new RegExp(pattern);
    return undefined;
  } catch (err) {
    // V8 writes "Invalid regular expression: /<pattern>/: <reason>".
    const reason = (err as Error).message.split(': ').pop();
    return `not a valid regular expression: ${reason}`;
  }
}

export function wholeName(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

interface Veto {
  event: Array<readonly [EventField, RegExp]>;
  resource?: RegExp;
}

export function compileFilters(filters: readonly FilterConfig[]): EventFilter {
  const includes = EVENT_FIELDS.map(([key, field]) => [field, patternsOf(filters, key)] as const).filter(([, res]) => res.length > 0);
  const resourceIncludes = patternsOf(filters, 'resource');
  const vetoes: Veto[] = filters
    .filter((f) => f.exclude)
    .map((f) => ({
      event: EVENT_FIELDS.filter(([key]) => f[key] !== undefined).map(([key, field]) => [field, wholeName(f[key]!)] as const),
      resource: f.resource === undefined ? undefined : wholeName(f.resource),
    }));
  const eventVetoes = vetoes.filter((v) => !v.resource);
  const readingVetoes = vetoes.filter((v) => v.resource);
  const eventMatches = (event: Event, veto: Veto) => veto.event.every(([field, re]) => re.test(event[field]));

  if (includes.length === 0 && resourceIncludes.length === 0 && vetoes.length === 0) return (event) => event;

  return (event) => {
    for (const [field, res] of includes) if (!res.some((re) => re.test(event[field]))) return undefined;
    if (eventVetoes.some((veto) => eventMatches(event, veto))) return undefined;

    const resourceVetoes = readingVetoes.length ? readingVetoes.filter((veto) => eventMatches(event, veto)).map((v) => v.resource!) : [];
    if (resourceIncludes.length === 0 && resourceVetoes.length === 0) return event;

    const keep = event.readings.filter(
      (r) =>
        (resourceIncludes.length === 0 || resourceIncludes.some((re) => re.test(r.resourceName))) &&
        !resourceVetoes.some((re) => re.test(r.resourceName)),
    );
    if (keep.length === event.readings.length) return event;
    return keep.length === 0 ? undefined : { ...event, readings: keep };
  };
}

function patternsOf(filters: readonly FilterConfig[], key: 'device' | 'profile' | 'source' | 'resource'): RegExp[] {
  return filters.filter((f) => !f.exclude && f[key] !== undefined).map((f) => wholeName(f[key]!));
}
