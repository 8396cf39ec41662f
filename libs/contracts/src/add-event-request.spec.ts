import { randomUUID } from 'node:crypto';
import { OversizedEventError, parseAddEventRequest } from './add-event-request';
import { ValidationError } from './errors';

const reading = () => ({ origin: 1, deviceName: 'd', resourceName: 'r', profileName: 'p', valueType: 'Int16', value: '1' });
const request = (readings: unknown[]) => ({ apiVersion: 'v3', event: { id: randomUUID(), deviceName: 'd', profileName: 'p', sourceName: 's', origin: 1, readings } });

describe('parseAddEventRequest limits', () => {
  it('takes an event with as many readings as the limit', () => {
    expect(parseAddEventRequest(request([reading(), reading()]), { maxReadings: 2 }).event.readings).toHaveLength(2);
  });

  it('refuses one more, naming the limit and where it is set, before looking at any reading', () => {
    const tooMany = request([reading(), reading(), { not: 'a reading' }]);
    let error: unknown;
    try {
      parseAddEventRequest(tooMany, { maxReadings: 2, maxReadingsSetting: 'GW_X' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(OversizedEventError);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ path: 'event.readings', message: 'at most 2 readings per event (GW_X), got 3' }]);
  });

  it('has no limit unless given one', () => {
    expect(parseAddEventRequest(request(Array.from({ length: 20_000 }, reading))).event.readings).toHaveLength(20_000);
  });
});

describe('parseAddEventRequest requestId', () => {
  it('takes none, an empty one or a UUID, as EdgeX does', () => {
    const id = randomUUID();
    expect(parseAddEventRequest({ ...request([reading()]), requestId: id }).requestId).toBe(id);
    expect(() => parseAddEventRequest({ ...request([reading()]), requestId: '' })).not.toThrow();
    expect(() => parseAddEventRequest(request([reading()]))).not.toThrow();
  });

  it.each([['not-a-uuid', '"not-a-uuid"'], [{ nested: true }, 'object'], [42, 'number']])('refuses %j, naming the field', (requestId, shown) => {
    expect(() => parseAddEventRequest({ ...request([reading()]), requestId })).toThrow(`requestId: must be empty or a UUID, got ${shown}`);
  });
});

describe('parseAddEventRequest as EdgeX reads JSON', () => {
  it('takes keys in any case and ignores fields no DTO has, such as a reading’s apiVersion', () => {
    const origin = 1_700_000_000_000_000_000;
    const parsed = parseAddEventRequest({
      APIVersion: 'v3',
      Event: { id: randomUUID(), DeviceName: 'd', profileName: 'p', sourceName: 's', origin, readings: [{ ...reading(), apiVersion: 'v3', origin }] },
    });
    expect(parsed.event).toMatchObject({ deviceName: 'd', readings: [{ resourceName: 'r', value: '1' }] });
    expect(parsed.event.readings[0]).not.toHaveProperty('apiVersion');
  });
});
