/**
 * core-data's routes for its OpenAPI document (GET /api/v3/openapi.json),
 * each said once. Paths, parameters and statuses follow EdgeX's core-data.yaml;
 * operation ids follow EdgeX's Go client (go-mod-core-contracts), EdgeX's file has none.
 */
import { z } from 'zod';
import { BinaryReading, Event, ObjectReading, SimpleReading, ValueType } from '@gw/contracts';
import { ApiRoute, BaseWithIdResponseSchema, boolFlagQuery, ok200, okWith, pageOf, pathParams, RequestId, ServiceApi } from '@gw/service-kit';
import { AGGREGATE_FUNCS } from '../domain/aggregate';

/** With numeric=true a numeric reading's value is a JSON number (EdgeX 4). */
const StoredReading = z.union([SimpleReading.extend({ value: z.union([z.string(), z.number()]) }).strict(), BinaryReading, ObjectReading]);
const StoredEvent = Event.extend({ readings: z.array(StoredReading).min(1) }).strict();
const AggregatedReading = z
  .object({ deviceName: z.string(), resourceName: z.string(), profileName: z.string(), valueType: ValueType, value: z.union([z.number(), z.literal('')]) })
  .strict();
/** As parseAddEventRequest takes it: ids are UUIDs (storage keys), each reading's value in the field its valueType calls for. */
const Uuid = z.string().uuid();
const IncomingEvent = Event.extend({
  id: Uuid,
  readings: z
    .array(z.union([SimpleReading.extend({ id: Uuid.optional() }), BinaryReading.extend({ id: Uuid.optional() }), ObjectReading.extend({ id: Uuid.optional() })]))
    .min(1)
    .describe('each reading carries its value in the field its valueType calls for: binaryValue (with mediaType) for Binary, objectValue for Object and ObjectArray, value for every other type'),
});
export const AddEventRequest = z.object({ apiVersion: z.string(), requestId: RequestId.optional(), event: IncomingEvent });

const Nanos = z.string().regex(/^\d{1,20}$/).describe('nanoseconds since the epoch');
const Numeric = boolFlagQuery('true: numeric reading values as JSON numbers');
const Offset = z.string().regex(/^-?\d+$/).optional().describe('items to skip (default 0; -1: from the start, total not counted)');
const Limit = z.string().regex(/^-?\d+$/).optional().describe('items to answer (default 20; -1 for all up to the maximum)');
const EventQuery = z.object({ offset: Offset, limit: Limit, numeric: Numeric });
const ReadingQuery = EventQuery.extend({
  aggregateFunc: z
    .string()
    .regex(new RegExp(`^(${AGGREGATE_FUNCS.join('|')})$`, 'i'))
    .optional()
    .describe(`one of ${AGGREGATE_FUNCS.join(', ')} (any case): one aggregate per device, resource and profile instead of readings`),
});

const Count = okWith({ count: z.number().int() });
const Events = pageOf('events', StoredEvent);
const Readings = z.union([pageOf('readings', StoredReading), okWith({ aggregateFunc: z.enum(AGGREGATE_FUNCS), readings: z.array(AggregatedReading) })]);
/** Listings and counts wait their turn at the query gate: 503 when its queue is full. */
const LISTING_ERRORS = [400, 416, 503];

function events(): ApiRoute[] {
  const tag = 'event';
  const page = [ok200('a page of events', Events)];
  return [
    {
      method: 'post',
      path: '/event/{serviceName}/{profileName}/{deviceName}/{sourceName}',
      operationId: 'addEvent',
      summary: 'Stores an event (its names must match the path; the device must be known to core-metadata)',
      tag,
      params: pathParams('serviceName', 'profileName', 'deviceName', 'sourceName'),
      body: AddEventRequest,
      ok: [{ status: 201, description: 'stored', schema: BaseWithIdResponseSchema.strict() }],
      errors: [404, 409, 503],
    },
    { method: 'get', path: '/event/all', operationId: 'allEvents', summary: 'Lists events, newest first', tag, query: EventQuery, ok: page, errors: LISTING_ERRORS },
    { method: 'get', path: '/event/count', operationId: 'eventCount', summary: 'Counts events', tag, ok: [ok200('the count', Count)], errors: [503] },
    { method: 'get', path: '/event/count/device/name/{name}', operationId: 'eventCountByDeviceName', summary: "Counts a device's events", tag, params: pathParams('name'), ok: [ok200('the count', Count)], errors: [503] },
    { method: 'get', path: '/event/device/name/{name}', operationId: 'eventsByDeviceName', summary: "A device's events", tag, params: pathParams('name'), query: EventQuery, ok: page, errors: LISTING_ERRORS },
    { method: 'delete', path: '/event/device/name/{name}', operationId: 'deleteByDeviceName', summary: "Deletes a device's events", tag, params: pathParams('name'), ok: [{ status: 202, description: 'deleted', schema: okWith({}) }] },
    {
      method: 'get',
      path: '/event/start/{start}/end/{end}',
      operationId: 'eventsByTimeRange',
      summary: 'Events of a time range (origin, nanoseconds)',
      tag,
      params: z.object({ start: Nanos, end: Nanos }),
      query: EventQuery,
      ok: page,
      errors: LISTING_ERRORS,
    },
    { method: 'get', path: '/event/id/{id}', operationId: 'eventById', summary: 'An event by id', tag, params: pathParams('id'), query: z.object({ numeric: Numeric }), ok: [ok200('the event', okWith({ event: StoredEvent }))], errors: [400, 404] },
    { method: 'delete', path: '/event/id/{id}', operationId: 'deleteById', summary: 'Deletes an event', tag, params: pathParams('id'), ok: [ok200('deleted')], errors: [404] },
    { method: 'delete', path: '/event/age/{age}', operationId: 'deleteByAge', summary: 'Deletes events older than age (nanoseconds)', tag, params: z.object({ age: Nanos }), ok: [{ status: 202, description: 'deleted', schema: okWith({}) }], errors: [400] },
  ];
}

function readings(): ApiRoute[] {
  const tag = 'reading';
  const page = [ok200('a page of readings, or with aggregateFunc the aggregates', Readings)];
  const listing = (path: string, operationId: string, summary: string, ...names: string[]): ApiRoute => ({
    method: 'get',
    path,
    operationId,
    summary,
    tag,
    ...(names.length ? { params: z.object(Object.fromEntries(names.map((n) => [n, n === 'start' || n === 'end' ? Nanos : z.string()]))) } : {}),
    query: ReadingQuery,
    ok: page,
    errors: LISTING_ERRORS,
  });
  return [
    listing('/reading/all', 'allReadings', 'Lists readings, newest first'),
    { method: 'get', path: '/reading/count', operationId: 'readingCount', summary: 'Counts readings', tag, ok: [ok200('the count', Count)], errors: [503] },
    { method: 'get', path: '/reading/count/device/name/{name}', operationId: 'readingCountByDeviceName', summary: "Counts a device's readings", tag, params: pathParams('name'), ok: [ok200('the count', Count)], errors: [503] },
    listing('/reading/device/name/{name}', 'readingsByDeviceName', "A device's readings", 'name'),
    listing('/reading/resourceName/{resourceName}', 'readingsByResourceName', "A resource's readings", 'resourceName'),
    listing('/reading/device/name/{deviceName}/resourceName/{resourceName}', 'readingsByDeviceNameAndResourceName', "A device resource's readings", 'deviceName', 'resourceName'),
    listing('/reading/start/{start}/end/{end}', 'readingsByTimeRange', 'Readings of a time range', 'start', 'end'),
    listing('/reading/resourceName/{resourceName}/start/{start}/end/{end}', 'readingsByResourceNameAndTimeRange', "A resource's readings of a time range", 'resourceName', 'start', 'end'),
    listing(
      '/reading/device/name/{deviceName}/resourceName/{resourceName}/start/{start}/end/{end}',
      'readingsByDeviceNameAndResourceNameAndTimeRange',
      "A device resource's readings of a time range",
      'deviceName',
      'resourceName',
      'start',
      'end',
    ),
    listing('/reading/device/name/{deviceName}/start/{start}/end/{end}', 'readingsByDeviceNameAndTimeRange', "A device's readings of a time range", 'deviceName', 'start', 'end'),
  ];
}

export const coreDataApi: ServiceApi = {
  title: 'core-data',
  description: 'Events and readings: stored from the bus and from REST, queried and aged out (EdgeX v3 core-data API).',
  schemas: { Event, StoredEvent, StoredReading },
  routes: [...events(), ...readings()],
};
