/**
 * core-command's routes for its OpenAPI document (GET /api/v3/openapi.json),
 * each said once. Paths, parameters and statuses follow EdgeX's core-command.yaml;
 * operation ids follow EdgeX's Go client (go-mod-core-contracts), EdgeX's file has none.
 */
import { z } from 'zod';
import { Event, PUSH_EVENT, RETURN_EVENT, ValueType } from '@gw/contracts';
import { ApiRoute, ok200, okWith, PagingQuery, pageOf, pathParams, ServiceApi } from '@gw/service-kit';

const CoreCommand = z
  .object({
    name: z.string(),
    get: z.boolean(),
    set: z.boolean(),
    path: z.string(),
    url: z.string(),
    parameters: z.array(z.object({ resourceName: z.string(), valueType: ValueType }).strict()),
  })
  .strict();
const DeviceCoreCommand = z.object({ deviceName: z.string(), profileName: z.string(), coreCommands: z.array(CoreCommand) }).strict();
const Flag = (what: string) => z.enum(['true', 'false']).optional().describe(what);
const GetQuery = z
  .object({
    [PUSH_EVENT]: Flag('true: the device service also publishes the reading as an event (default false)'),
    [RETURN_EVENT]: Flag('false: answer without the event (default true)'),
  })
  .catchall(z.string().describe('passed on to the device service, as EdgeX does (e.g. jsonObject)'));
/** `{resourceName: value}`: values as strings (EdgeX), or JSON values for Object resources. */
const SetValues = z.record(z.string(), z.unknown());
/** Device-service failures keep their status (404, 405, 423...); 503 when it cannot be reached, 504 when it does not answer in time. */
const COMMAND_ERRORS = [400, 404, 405, 423, 503, 504];

const tag = 'device';
const routes: ApiRoute[] = [
  { method: 'get', path: '/device/all', operationId: 'allDeviceCoreCommands', summary: "Every device's commands", tag, query: PagingQuery, ok: [ok200('a page of device commands', pageOf('deviceCoreCommands', DeviceCoreCommand))], errors: [400, 416, 503] },
  { method: 'get', path: '/device/name/{name}', operationId: 'deviceCoreCommandsByDeviceName', summary: "A device's commands", tag, params: pathParams('name'), ok: [ok200('the commands', okWith({ deviceCoreCommand: DeviceCoreCommand }))], errors: [400, 404, 503] },
  {
    method: 'get',
    path: '/device/name/{name}/{command}',
    operationId: 'issueGetCommandByName',
    summary: 'Reads a command or resource from the device (through its device service)',
    tag,
    params: pathParams('name', 'command'),
    query: GetQuery,
    ok: [ok200('the event read (none with ds-returnevent=false)', okWith({ event: Event.optional() }))],
    errors: COMMAND_ERRORS,
  },
  {
    method: 'put',
    path: '/device/name/{name}/{command}',
    operationId: 'issueSetCommandByName',
    summary: 'Writes values to the device (through its device service)',
    tag,
    params: pathParams('name', 'command'),
    query: z.object({}).catchall(z.string()),
    body: SetValues,
    ok: [ok200('written')],
    errors: COMMAND_ERRORS,
  },
];

export const coreCommandApi: ServiceApi = {
  title: 'core-command',
  description: 'Lists the commands of each device and issues them to the device services (EdgeX v3 core-command API).',
  schemas: { Event },
  routes,
};
