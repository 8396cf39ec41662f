import { Body, Controller, Inject, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { PagingInput } from '../domain/paging';
import { WatchersService } from '../domain/watchers.service';
import { runBatch } from './batch';
import { Paging } from './paging.pipe';
import { okResponse, Logger, SERVICE_LOGGER, AdmittedQuery } from '@gw/service-kit';
import { page } from './page-response';

@Controller('provisionwatcher')
export class WatchersController {
  constructor(
    private readonly watchers: WatchersService,
    private readonly paging: Paging,
    @Inject(SERVICE_LOGGER) private readonly log: Logger,
  ) {}

  @Post()
  @HttpCode(207)
  add(@Body() body: unknown) {
    return runBatch(body, 'provisionWatcher', 201, (watcher, path) => this.watchers.add(watcher, path), this.log);
  }

  @Patch()
  @HttpCode(207)
  patch(@Body() body: unknown) {
    return runBatch(body, 'provisionWatcher', 200, (watcher, path) => this.watchers.patch(watcher, path), this.log);
  }

  @AdmittedQuery()
  @Get('all')
  async all(@Query() query: PagingInput) {
    return page('provisionWatchers', await this.watchers.page(this.paging.of(query)));
  }

  @Get('name/:name')
  async get(@Param('name') name: string) {
    return okResponse({ provisionWatcher: await this.watchers.get(name) });
  }

  @Delete('name/:name')
  async delete(@Param('name') name: string) {
    await this.watchers.delete(name);
    return okResponse();
  }

  @AdmittedQuery()
  @Get('service/name/:name')
  async byService(@Param('name') serviceName: string, @Query() query: PagingInput) {
    return page('provisionWatchers', await this.watchers.page(this.paging.of(query), { serviceName }));
  }

  @AdmittedQuery()
  @Get('profile/name/:name')
  async byProfile(@Param('name') profileName: string, @Query() query: PagingInput) {
    return page('provisionWatchers', await this.watchers.page(this.paging.of(query), { profileName }));
  }
}
