/**
 * core-metadata's routes for its OpenAPI document (GET /api/v3/openapi.json),
 * each said once with the schemas its handlers validate with. Paths, bodies
 * and statuses follow EdgeX's core-metadata.yaml; operation ids follow
 * EdgeX's Go clients (go-mod-core-contracts clients/http), EdgeX's file has none.
 */
import { z } from 'zod';
import { Device, DeviceCommand, DeviceProfile, DeviceResource, DeviceService, Name, ProvisionWatcher } from '@gw/contracts';
import {
  ApiRoute,
  BaseResponseSchema,
  BaseWithIdResponseSchema,
  boolFlagQuery,
  batchOf,
  LabelledPagingQuery,
  multiStatusAnswer,
  ok200,
  okWith,
  pageOf,
  pathParams,
  ServiceApi,
} from '@gw/service-kit';
import { BasicInfoPatch, TagsPatch } from '../domain/profiles.service';
import { UomFile } from '../domain/units-of-measure';

const name = pathParams('name');
/** Listings wait their turn at the query gate: 503 when its queue is full. */
const LISTING_ERRORS = [400, 416, 503];
const ForceQuery = z.object({ force: boolFlagQuery('true: add even when the device service refuses it') });

const BasicInfo = z.object({ id: z.string(), name: z.string(), description: z.string().optional(), manufacturer: z.string().optional(), model: z.string().optional(), labels: z.array(z.string()).optional() }).strict();
const YamlUpload = { 'multipart/form-data': z.object({ file: z.string().describe('the YAML (or JSON) profile file') }) };

function device(): ApiRoute[] {
  const tag = 'device';
  return [
    { method: 'post', path: '/device', operationId: 'addDevices', summary: 'Adds devices (one answer per item)', tag, query: ForceQuery, body: batchOf('device', Device), ok: [multiStatusAnswer('each item with its own statusCode and id')] },
    { method: 'patch', path: '/device', operationId: 'updateDevices', summary: 'Updates devices found by id or name', tag, body: batchOf('device', Device.partial()), ok: [multiStatusAnswer('each item with its own statusCode')] },
    { method: 'get', path: '/device/all', operationId: 'allDevices', summary: 'Lists devices', tag, query: LabelledPagingQuery, ok: [ok200('a page of devices', pageOf('devices', Device))], errors: LISTING_ERRORS },
    { method: 'get', path: '/device/check/name/{name}', operationId: 'deviceNameExists', summary: 'Whether a device exists', tag, params: name, ok: [ok200('it exists')], errors: [400, 404] },
    { method: 'get', path: '/device/name/{name}', operationId: 'deviceByName', summary: 'A device by name', tag, params: name, ok: [ok200('the device', okWith({ device: Device }))], errors: [400, 404] },
    { method: 'delete', path: '/device/name/{name}', operationId: 'deleteDeviceByName', summary: 'Deletes a device', tag, params: name, ok: [ok200('deleted')], errors: [400, 404] },
    { method: 'get', path: '/device/id/{id}', operationId: 'deviceById', summary: 'A device by id', tag, params: pathParams('id'), ok: [ok200('the device', okWith({ device: Device }))], errors: [400, 404] },
    { method: 'get', path: '/device/profile/name/{name}', operationId: 'devicesByProfileName', summary: 'Devices of a profile', tag, params: name, query: LabelledPagingQuery, ok: [ok200('a page of devices', pageOf('devices', Device))], errors: LISTING_ERRORS },
    { method: 'get', path: '/device/service/name/{name}', operationId: 'devicesByServiceName', summary: 'Devices of a device service', tag, params: name, query: LabelledPagingQuery, ok: [ok200('a page of devices', pageOf('devices', Device))], errors: LISTING_ERRORS },
  ];
}

function profile(): ApiRoute[] {
  const tag = 'deviceprofile';
  const resourceOf = z.object({ profileName: Name });
  return [
    { method: 'post', path: '/deviceprofile', operationId: 'addDeviceProfiles', summary: 'Adds device profiles (one answer per item)', tag, body: batchOf('profile', DeviceProfile), ok: [multiStatusAnswer('each item with its own statusCode and id')] },
    { method: 'put', path: '/deviceprofile', operationId: 'updateDeviceProfiles', summary: 'Replaces device profiles found by id or name', tag, body: batchOf('profile', DeviceProfile), ok: [multiStatusAnswer('each item with its own statusCode')] },
    { method: 'post', path: '/deviceprofile/uploadfile', operationId: 'addDeviceProfileByYaml', summary: 'Adds a profile from a YAML file; ignored keys are named in `message`', tag, bodyTypes: YamlUpload, ok: [{ status: 201, description: 'added', schema: BaseWithIdResponseSchema.extend({ message: z.string().optional() }).strict() }], errors: [409] },
    { method: 'put', path: '/deviceprofile/uploadfile', operationId: 'updateDeviceProfileByYaml', summary: 'Replaces a profile from a YAML file; ignored keys are named in `message`', tag, bodyTypes: YamlUpload, ok: [ok200('replaced', BaseResponseSchema.extend({ message: z.string().optional() }).strict())], errors: [404, 409] },
    { method: 'get', path: '/deviceprofile/all', operationId: 'allDeviceProfiles', summary: 'Lists device profiles', tag, query: LabelledPagingQuery, ok: [ok200('a page of profiles', pageOf('profiles', DeviceProfile))], errors: LISTING_ERRORS },
    { method: 'get', path: '/deviceprofile/basicinfo/all', operationId: 'allDeviceProfileBasicInfos', summary: "Lists profiles' basic information", tag, query: LabelledPagingQuery, ok: [ok200('a page of basic infos', pageOf('profiles', BasicInfo))], errors: LISTING_ERRORS },
    { method: 'patch', path: '/deviceprofile/basicinfo', operationId: 'updateDeviceProfileBasicInfo', summary: "Updates profiles' description, manufacturer, model, labels", tag, body: batchOf('basicinfo', BasicInfoPatch), ok: [multiStatusAnswer('each item with its own statusCode')] },
    { method: 'get', path: '/deviceprofile/name/{name}', operationId: 'deviceProfileByName', summary: 'A profile by name', tag, params: name, ok: [ok200('the profile', okWith({ profile: DeviceProfile }))], errors: [400, 404] },
    { method: 'delete', path: '/deviceprofile/name/{name}', operationId: 'deleteDeviceProfileByName', summary: 'Deletes a profile no device or watcher uses', tag, params: name, ok: [ok200('deleted')], errors: [400, 404, 409] },
    { method: 'patch', path: '/deviceprofile/name/{name}/tags', operationId: 'updateDeviceProfileTags', summary: "Merges tags into a profile's resources and commands", tag, params: name, body: TagsPatch, ok: [ok200('updated')], errors: [404, 409] },
    { method: 'get', path: '/deviceprofile/manufacturer/{manufacturer}', operationId: 'deviceProfilesByManufacturer', summary: 'Profiles of a manufacturer', tag, params: pathParams('manufacturer'), query: LabelledPagingQuery, ok: [ok200('a page of profiles', pageOf('profiles', DeviceProfile))], errors: LISTING_ERRORS },
    { method: 'get', path: '/deviceprofile/model/{model}', operationId: 'deviceProfilesByModel', summary: 'Profiles of a model', tag, params: pathParams('model'), query: LabelledPagingQuery, ok: [ok200('a page of profiles', pageOf('profiles', DeviceProfile))], errors: LISTING_ERRORS },
    {
      method: 'get',
      path: '/deviceprofile/manufacturer/{manufacturer}/model/{model}',
      operationId: 'deviceProfilesByManufacturerAndModel',
      summary: 'Profiles of a manufacturer and model',
      tag,
      params: pathParams('manufacturer', 'model'),
      query: LabelledPagingQuery,
      ok: [ok200('a page of profiles', pageOf('profiles', DeviceProfile))],
      errors: LISTING_ERRORS,
    },
    { method: 'post', path: '/deviceprofile/resource', operationId: 'addDeviceProfileResources', summary: 'Adds resources to profiles', tag, body: batchOf('resource', DeviceResource, resourceOf.shape), ok: [multiStatusAnswer('each item with its own statusCode')] },
    {
      method: 'patch',
      path: '/deviceprofile/resource',
      operationId: 'updateDeviceProfileResources',
      summary: "Updates resources' description and isHidden",
      tag,
      body: batchOf('resource', z.object({ name: Name, description: z.string().optional(), isHidden: z.boolean().optional() }), resourceOf.shape),
      ok: [multiStatusAnswer('each item with its own statusCode')],
    },
    { method: 'delete', path: '/deviceprofile/name/{name}/resource/{resourceName}', operationId: 'deleteDeviceResourceByName', summary: 'Deletes a resource no command or device uses', tag, params: pathParams('name', 'resourceName'), ok: [ok200('deleted')], errors: [400, 404, 409] },
    { method: 'post', path: '/deviceprofile/deviceCommand', operationId: 'addDeviceProfileDeviceCommands', summary: 'Adds commands to profiles', tag, body: batchOf('deviceCommand', DeviceCommand, resourceOf.shape), ok: [multiStatusAnswer('each item with its own statusCode')] },
    {
      method: 'patch',
      path: '/deviceprofile/deviceCommand',
      operationId: 'updateDeviceProfileDeviceCommands',
      summary: "Updates commands' isHidden",
      tag,
      body: batchOf('deviceCommand', z.object({ name: Name, isHidden: z.boolean().optional() }), resourceOf.shape),
      ok: [multiStatusAnswer('each item with its own statusCode')],
    },
    { method: 'delete', path: '/deviceprofile/name/{name}/deviceCommand/{commandName}', operationId: 'deleteDeviceCommandByName', summary: 'Deletes a command no device uses', tag, params: pathParams('name', 'commandName'), ok: [ok200('deleted')], errors: [400, 404, 409] },
    {
      method: 'get',
      path: '/deviceresource/profile/{profileName}/resource/{resourceName}',
      operationId: 'deviceResourceByProfileNameAndResourceName',
      summary: 'One resource of a profile',
      tag: 'deviceresource',
      params: pathParams('profileName', 'resourceName'),
      ok: [ok200('the resource', okWith({ resource: DeviceResource }))],
      errors: [400, 404],
    },
  ];
}

function service(): ApiRoute[] {
  const tag = 'deviceservice';
  return [
    { method: 'post', path: '/deviceservice', operationId: 'addDeviceServices', summary: 'Adds device services (one answer per item)', tag, body: batchOf('service', DeviceService), ok: [multiStatusAnswer('each item with its own statusCode and id')] },
    { method: 'patch', path: '/deviceservice', operationId: 'updateDeviceServices', summary: 'Updates device services found by id or name', tag, body: batchOf('service', DeviceService.partial()), ok: [multiStatusAnswer('each item with its own statusCode')] },
    { method: 'get', path: '/deviceservice/all', operationId: 'allDeviceServices', summary: 'Lists device services', tag, query: LabelledPagingQuery, ok: [ok200('a page of services', pageOf('services', DeviceService))], errors: LISTING_ERRORS },
    { method: 'get', path: '/deviceservice/name/{name}', operationId: 'deviceServiceByName', summary: 'A device service by name', tag, params: name, ok: [ok200('the service', okWith({ service: DeviceService }))], errors: [400, 404] },
    { method: 'delete', path: '/deviceservice/name/{name}', operationId: 'deleteDeviceServiceByName', summary: 'Deletes a device service no device uses', tag, params: name, ok: [ok200('deleted')], errors: [400, 404, 409] },
  ];
}

function watcher(): ApiRoute[] {
  const tag = 'provisionwatcher';
  const page = [ok200('a page of watchers', pageOf('provisionWatchers', ProvisionWatcher))];
  return [
    { method: 'post', path: '/provisionwatcher', operationId: 'addProvisionWatchers', summary: 'Adds provision watchers (one answer per item)', tag, body: batchOf('provisionWatcher', ProvisionWatcher), ok: [multiStatusAnswer('each item with its own statusCode and id')] },
    { method: 'patch', path: '/provisionwatcher', operationId: 'updateProvisionWatchers', summary: 'Updates provision watchers found by id or name', tag, body: batchOf('provisionWatcher', ProvisionWatcher.partial()), ok: [multiStatusAnswer('each item with its own statusCode')] },
    { method: 'get', path: '/provisionwatcher/all', operationId: 'allProvisionWatchers', summary: 'Lists provision watchers', tag, query: LabelledPagingQuery, ok: page, errors: LISTING_ERRORS },
    { method: 'get', path: '/provisionwatcher/name/{name}', operationId: 'provisionWatcherByName', summary: 'A provision watcher by name', tag, params: name, ok: [ok200('the watcher', okWith({ provisionWatcher: ProvisionWatcher }))], errors: [400, 404] },
    { method: 'delete', path: '/provisionwatcher/name/{name}', operationId: 'deleteProvisionWatcherByName', summary: 'Deletes a provision watcher', tag, params: name, ok: [ok200('deleted')], errors: [400, 404] },
    { method: 'get', path: '/provisionwatcher/service/name/{name}', operationId: 'provisionWatchersByServiceName', summary: 'Watchers of a device service', tag, params: name, query: LabelledPagingQuery, ok: page, errors: LISTING_ERRORS },
    { method: 'get', path: '/provisionwatcher/profile/name/{name}', operationId: 'provisionWatchersByProfileName', summary: 'Watchers of a profile', tag, params: name, query: LabelledPagingQuery, ok: page, errors: LISTING_ERRORS },
  ];
}

export const metadataApi: ServiceApi = {
  title: 'core-metadata',
  description: 'Device profiles, devices, device services and provision watchers (EdgeX v3 core-metadata API).',
  schemas: { Device, DeviceProfile, DeviceResource, DeviceCommand, DeviceService, ProvisionWatcher },
  routes: [
    ...device(),
    ...profile(),
    ...service(),
    ...watcher(),
    { method: 'get', path: '/uom', operationId: 'unitsOfMeasure', summary: 'The units of measure core-metadata knows', tag: 'uom', ok: [ok200('the units', okWith({ uom: UomFile }))] },
  ],
};
