/**
 * A device service's routes for its OpenAPI document (GET /api/v3/openapi.json):
 * EdgeX's device-sdk.yaml routes, each said once, and the driver's own
 * (driver/routes.ts) with the query and body schemas they validate with.
 * Operation ids follow EdgeX's Go client (go-mod-core-contracts), EdgeX's file has none.
 */
import { z } from 'zod';
import { Device, Event, PUSH_EVENT, RETURN_EVENT } from '@gw/contracts';
import { API_BASE, ApiAnswer, ApiMethod, ApiRoute, BaseResponseSchema, ok200, okWith, pathParams, RequestId, ServiceApi } from '@gw/service-kit';
import type { DriverRoute } from '../driver/routes';

const Flag = (what: string) => z.enum(['true', 'false']).optional().describe(what);
const Triggered = okWith({ message: z.string() });
/** Statuses a driver's route that does not say (DriverRoute.answer.errors) may answer besides its success: any GatewayError kind's. */
const DRIVER_ROUTE_ERRORS = [400, 404, 409, 423, 501, 503, 504];

export const DeviceValidationRequest = z.object({ apiVersion: z.string().optional(), requestId: RequestId.optional(), device: Device });
export const ProfileScanRequest = z.object({
  apiVersion: z.string().optional(),
  requestId: RequestId.optional(),
  deviceName: z.string().min(1),
  profileName: z.string().optional(),
  options: z.record(z.string(), z.unknown()).optional(),
});

function sdkRoutes(): ApiRoute[] {
  const command = pathParams('name', 'command');
  const errors = [400, 404, 405, 423, 503, 504];
  return [
    {
      method: 'get',
      path: '/device/name/{name}/{command}',
      operationId: 'getCommand',
      summary: 'Reads a command or resource from the device',
      tag: 'device',
      params: command,
      query: z.object({
        [PUSH_EVENT]: Flag('true: also publish the reading as an event (default false)'),
        [RETURN_EVENT]: Flag('false: answer without the event (default true)'),
      }).catchall(z.string()),
      ok: [ok200('the event read (none with ds-returnevent=false)', okWith({ event: Event.optional() }))],
      errors,
    },
    {
      method: 'put',
      path: '/device/name/{name}/{command}',
      operationId: 'setCommand',
      summary: 'Writes values to the device; the write is published as an event unless ds-pushevent=false (ours)',
      tag: 'device',
      params: command,
      query: z.object({ [PUSH_EVENT]: Flag('false: do not publish the written values as an event (default true)') }).catchall(z.string()),
      body: z.record(z.string(), z.unknown()),
      ok: [ok200('written')],
      errors,
    },
    { method: 'post', path: '/discovery', operationId: 'discovery', summary: 'Starts a discovery run in the background', tag: 'discovery', ok: [{ status: 202, description: 'started; requestId names the run', schema: Triggered }], errors: [409, 423, 501, 503] },
    { method: 'delete', path: '/discovery', operationId: 'cancelDiscovery', summary: 'Stops the discovery run under way', tag: 'discovery', ok: [ok200('stopped (or none was running)')], errors: [501] },
    { method: 'delete', path: '/discovery/requestId/{requestId}', operationId: 'cancelDiscoveryByRequestId', summary: 'Stops the discovery run of that id', tag: 'discovery', params: pathParams('requestId'), ok: [ok200('stopped')], errors: [404, 501] },
    { method: 'post', path: '/profilescan', operationId: 'profileScan', summary: 'Scans a device for a profile in the background (EdgeX 4)', tag: 'profilescan', body: ProfileScanRequest, ok: [{ status: 202, description: 'started', schema: Triggered }], errors: [404, 409, 423, 501, 503] },
    { method: 'delete', path: '/profilescan/device/name/{name}', operationId: 'cancelProfileScan', summary: "Stops a device's profile scan", tag: 'profilescan', params: pathParams('name'), ok: [ok200('stopped')], errors: [404, 423, 501] },
    { method: 'post', path: '/validate/device', operationId: 'validateDevice', summary: 'Whether this service would accept the device', tag: 'validate', body: DeviceValidationRequest, ok: [ok200('valid')], errors: [404, 503] },
  ];
}

/** A driver route in the document: `opcua/certificates/:thumbprint/trust` -> `/opcua/certificates/{thumbprint}/trust`, id `opcuaPutCertificatesThumbprintTrust`. */
export function driverApiRoute(prefix: string, route: DriverRoute): ApiRoute {
  const path = `/${prefix}/${route.path.replace(/:([^/]+)/g, '{$1}')}`;
  const names = [...route.path.matchAll(/:([^/]+)/g)].map((m) => m[1]);
  const words = [prefix, route.method.toLowerCase(), ...route.path.split(/[/.:_-]+/)].filter(Boolean);
  const operationId = words.map((w, i) => (i === 0 ? w : w[0].toUpperCase() + w.slice(1))).join('');
  const query = route.query as z.ZodTypeAny | undefined;
  return {
    method: route.method.toLowerCase() as ApiMethod,
    path,
    operationId,
    summary: `${prefix} driver: ${route.method} ${route.path}`,
    tag: prefix,
    ...(names.length ? { params: pathParams(...names) } : {}),
    ...(query instanceof z.ZodObject ? { query } : {}),
    ...(route.body ? { body: route.body as z.ZodTypeAny } : {}),
    // JSON answers come in the EdgeX envelope with the driver's own fields; some routes send a file of their own type instead.
    ok: [driverAnswer(route)],
    errors: route.answer?.errors ?? DRIVER_ROUTE_ERRORS,
  };
}

/** A route's success answer: its JSON fields in the envelope (the json schema's own unknown-key rule), or its files, or both. */
function driverAnswer(route: DriverRoute): ApiAnswer {
  const { json, fileTypes, status = 200 } = route.answer ?? {};
  if (!json && fileTypes?.length) return { status, description: 'a file', contentType: fileTypes[0], orContentTypes: fileTypes.slice(1) };
  return {
    status,
    description: fileTypes ? 'the answer, or a file (format)' : 'the answer',
    schema: json ? BaseResponseSchema.merge(json) : BaseResponseSchema.passthrough(),
    ...(fileTypes ? { orContentTypes: fileTypes } : {}),
  };
}

export function deviceServiceApi(driverPrefix: string, driverRoutes: readonly DriverRoute[]): ServiceApi {
  return {
    title: 'device service',
    description: `The EdgeX v3 device service API (device-sdk.yaml)${driverRoutes.length ? `, and the ${driverPrefix} driver's own routes under ${API_BASE}/${driverPrefix}/` : ''}.`,
    schemas: { Device, Event },
    routes: [...sdkRoutes(), ...driverRoutes.map((route) => driverApiRoute(driverPrefix, route))],
  };
}
