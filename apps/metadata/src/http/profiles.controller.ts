import { Body, Controller, Inject, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type {} from '@fastify/multipart'; // adds request.file() to FastifyRequest
import { edgexKey, ErrorKind, GatewayError } from '@gw/contracts';
import { PagingInput } from '../domain/paging';
import { ProfilesService } from '../domain/profiles.service';
import { runBatch } from './batch';
import { Paging } from './paging.pipe';
import { ignoredKeysMessage } from '../domain/profile-text';
import { countResponse, idResponse, okResponse, Logger, SERVICE_LOGGER, AdmittedQuery } from '@gw/service-kit';
import { page } from './page-response';

@Controller('deviceprofile')
export class ProfilesController {
  constructor(
    private readonly profiles: ProfilesService,
    private readonly paging: Paging,
    @Inject(SERVICE_LOGGER) private readonly log: Logger,
  ) {}

  @Post()
  @HttpCode(207)
  add(@Body() body: unknown) {
    return runBatch(body, 'profile', 201, (profile, path) => this.profiles.add(profile, path), this.log);
  }

  @Put()
  @HttpCode(207)
  update(@Body() body: unknown) {
    return runBatch(body, 'profile', 200, (profile, path) => this.profiles.update(profile, path), this.log);
  }

  @Post('uploadfile')
  @HttpCode(201)
  async upload(@Req() request: FastifyRequest) {
    const file = await uploadedYaml(request);
    const { profile, ignored } = await this.profiles.addYaml(file.text, file.name);
    return withMessage(idResponse(profile.id!), ignoredKeysMessage(ignored));
  }

  @Put('uploadfile')
  async reupload(@Req() request: FastifyRequest) {
    const file = await uploadedYaml(request);
    const { ignored } = await this.profiles.updateYaml(file.text, file.name);
    return withMessage(okResponse(), ignoredKeysMessage(ignored));
  }

  @AdmittedQuery()
  @Get('all')
  async all(@Query() query: PagingInput) {
    return page('profiles', await this.profiles.page(this.paging.of(query)));
  }

  @AdmittedQuery()
  @Get('basicinfo/all')
  async basicInfo(@Query() query: PagingInput) {
    const page = await this.profiles.page(this.paging.of(query));
    const items = page.items.map(({ id, name, description, manufacturer, model, labels }) => ({ id, name, description, manufacturer, model, labels }));
    return countResponse(page.totalCount, { profiles: items });
  }

  @Patch('basicinfo')
  @HttpCode(207)
  patchBasicInfo(@Body() body: unknown) {
    return runBatch(body, 'basicinfo', 200, (info, path) => this.profiles.patchBasicInfo(info, path), this.log);
  }

  @Get('name/:name')
  async get(@Param('name') name: string) {
    return okResponse({ profile: await this.profiles.get(name) });
  }

  @Delete('name/:name')
  async delete(@Param('name') name: string) {
    await this.profiles.delete(name);
    return okResponse();
  }

  @Patch('name/:name/tags')
  async patchTags(@Param('name') name: string, @Body() body: unknown) {
    await this.profiles.patchTags(name, body ?? {});
    return okResponse();
  }

  @AdmittedQuery()
  @Get('manufacturer/:manufacturer')
  async byManufacturer(@Param('manufacturer') manufacturer: string, @Query() query: PagingInput) {
    return page('profiles', await this.profiles.page(this.paging.of(query), { manufacturer }));
  }

  @AdmittedQuery()
  @Get('model/:model')
  async byModel(@Param('model') model: string, @Query() query: PagingInput) {
    return page('profiles', await this.profiles.page(this.paging.of(query), { model }));
  }

  @AdmittedQuery()
  @Get('manufacturer/:manufacturer/model/:model')
  async byManufacturerAndModel(@Param('manufacturer') manufacturer: string, @Param('model') model: string, @Query() query: PagingInput) {
    return page('profiles', await this.profiles.page(this.paging.of(query), { manufacturer, model }));
  }

  @Post('resource')
  @HttpCode(207)
  addResource(@Body() body: unknown) {
    return runBatch(body, 'resource', 201, (resource, _path, request) => this.profiles.addResource(profileNameOf(request), resource), this.log);
  }

  @Patch('resource')
  @HttpCode(207)
  patchResource(@Body() body: unknown) {
    return runBatch(body, 'resource', 200, (resource, _path, request) =>
      this.profiles.patchResource(profileNameOf(request), resource as { name: string }),
      this.log,
    );
  }

  @Delete('name/:name/resource/:resourceName')
  async deleteResource(@Param('name') name: string, @Param('resourceName') resourceName: string) {
    await this.profiles.deleteResource(name, resourceName);
    return okResponse();
  }

  @Post('deviceCommand')
  @HttpCode(207)
  addCommand(@Body() body: unknown) {
    return runBatch(body, 'deviceCommand', 201, (command, _path, request) => this.profiles.addCommand(profileNameOf(request), command), this.log);
  }

  @Patch('deviceCommand')
  @HttpCode(207)
  patchCommand(@Body() body: unknown) {
    return runBatch(body, 'deviceCommand', 200, (command, _path, request) =>
      this.profiles.patchCommand(profileNameOf(request), command as { name: string }),
      this.log,
    );
  }

  @Delete('name/:name/deviceCommand/:commandName')
  async deleteCommand(@Param('name') name: string, @Param('commandName') commandName: string) {
    await this.profiles.deleteCommand(name, commandName);
    return okResponse();
  }
}

/** Resource and command requests name their profile beside the item: `{profileName, resource}`. */
/** EdgeX's BaseResponse carries an optional message: the upload's warnings go there. */
function withMessage<T extends object>(response: T, message: string | undefined): T & { message?: string } {
  return message ? { ...response, message } : response;
}

function profileNameOf(request: Record<string, unknown>): string {
  const name = edgexKey(request, 'profileName');
  if (typeof name !== 'string' || !name) throw new GatewayError(ErrorKind.ContractInvalid, 'profileName: is required');
  return name;
}

async function uploadedYaml(request: FastifyRequest): Promise<{ name: string; text: string }> {
  if (!request.isMultipart()) {
    throw new GatewayError(ErrorKind.ContractInvalid, 'expected a multipart/form-data body with a "file" field holding the YAML profile');
  }
  const file = await request.file();
  if (!file || file.fieldname !== 'file') {
    throw new GatewayError(ErrorKind.ContractInvalid, 'multipart field "file" (the YAML profile) is missing');
  }
  const buffer = await file.toBuffer();
  return { name: file.filename || 'upload.yaml', text: buffer.toString('utf8') };
}
