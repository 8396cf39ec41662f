import { Body, Controller, Inject, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { readBoolFlag } from '@gw/contracts';
import { DevicesService } from '../domain/devices.service';
import { PagingInput } from '../domain/paging';
import { runBatch } from './batch';
import { Paging } from './paging.pipe';
import { okResponse, Logger, SERVICE_LOGGER, AdmittedQuery } from '@gw/service-kit';
import { page } from './page-response';

@Controller('device')
export class DevicesController {
  constructor(
    private readonly devices: DevicesService,
    private readonly paging: Paging,
    @Inject(SERVICE_LOGGER) private readonly log: Logger,
  ) {}

  /** `bypassValidation` is accepted for EdgeX clients; device services validate on their side when they load the device. */
  @Post()
  @HttpCode(207)
  add(@Body() body: unknown, @Query('force') force?: string) {
    const forced = readBoolFlag(force, 'force', false);
    return runBatch(body, 'device', 201, (device, path) => this.devices.add(device, { path, force: forced }), this.log);
  }

  @Patch()
  @HttpCode(207)
  patch(@Body() body: unknown) {
    return runBatch(body, 'device', 200, (device, path) => this.devices.patch(device, path), this.log);
  }

  @AdmittedQuery()
  @Get('all')
  async all(@Query() query: PagingInput) {
    return page('devices', await this.devices.page(this.paging.of(query)));
  }

  @Get('check/name/:name')
  async check(@Param('name') name: string) {
    await this.devices.get(name);
    return okResponse();
  }

  @Get('name/:name')
  async get(@Param('name') name: string) {
    return okResponse({ device: await this.devices.get(name) });
  }

  @Delete('name/:name')
  async delete(@Param('name') name: string) {
    await this.devices.delete(name);
    return okResponse();
  }

  @Get('id/:id')
  async getById(@Param('id') id: string) {
    return okResponse({ device: await this.devices.getById(id) });
  }

  @AdmittedQuery()
  @Get('profile/name/:name')
  async byProfile(@Param('name') profileName: string, @Query() query: PagingInput) {
    return page('devices', await this.devices.page(this.paging.of(query), { profileName }));
  }

  @AdmittedQuery()
  @Get('service/name/:name')
  async byService(@Param('name') serviceName: string, @Query() query: PagingInput) {
    return page('devices', await this.devices.page(this.paging.of(query), { serviceName }));
  }
}
