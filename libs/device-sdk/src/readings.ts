/**
 * One raw driver value into one EdgeX reading, the same way for polled,
 * commanded and pushed values: transforms and formatting (values API), then the
 * `assertion` check (on the transformed value, before mappings, as EdgeX
 * orders it), then the resourceOperation's mappings. Runs for every reading,
 * so it allocates nothing beyond the reading: a broken assertion is appended
 * to the caller's `assertionFailures` list.
 */
import { DeviceResource, Reading } from '@gw/contracts';
import type { RawValue } from './driver/protocol-driver';
import { assertionHolds, mapForRead, ReadingContext, toReading } from './values';

export function makeReading(
  raw: RawValue,
  resource: DeviceResource,
  mappings: Record<string, string> | undefined,
  ctx: ReadingContext,
  assertionFailures: string[],
): Reading {
  const reading = toReading(raw, resource, ctx);
  const { assertion } = resource.properties;
  if (assertion !== undefined && !assertionHolds(reading, resource)) {
    const shown = 'value' in reading ? reading.value : '(not a simple value)';
    assertionFailures.push(`device ${ctx.deviceName}: resource "${resource.name}" read ${shown}, assertion expects ${assertion}`);
  }
  if (mappings && 'value' in reading) reading.value = mapForRead(reading.value, mappings);
  return reading;
}
