import { Body, Controller, Inject, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { DeviceServicesService } from '../domain/device-services.service';
import { PagingInput } from '../domain/paging';
import { runBatch } from './batch';
import { Paging } from './paging.pipe';
import { okResponse, Logger, SERVICE_LOGGER, AdmittedQuery } from '@gw/service-kit';
import { page } from './page-response';

@Controller('deviceservice')
export class DeviceServicesController {
  constructor(
    private readonly services: DeviceServicesService,
    private readonly paging: Paging,
    @Inject(SERVICE_LOGGER) private readonly log: Logger,
  ) {}

  @Post()
  @HttpCode(207)
  add(@Body() body: unknown) {
    return runBatch(body, 'service', 201, (service, path) => this.services.add(service, path), this.log);
  }

  @Patch()
  @HttpCode(207)
  patch(@Body() body: unknown) {
    return runBatch(body, 'service', 200, (service, path) => this.services.patch(service, path), this.log);
  }

  @AdmittedQuery()
  @Get('all')
  async all(@Query() query: PagingInput) {
    return page('services', await this.services.page(this.paging.of(query)));
  }

  @Get('name/:name')
  async get(@Param('name') name: string) {
    return okResponse({ service: await this.services.get(name) });
  }

  @Delete('name/:name')
  async delete(@Param('name') name: string) {
    await this.services.delete(name);
    return okResponse();
  }
}
