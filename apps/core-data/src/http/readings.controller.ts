import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { AdmittedQuery, countResponse, MAX_RESULT_COUNT, okResponse } from '@gw/service-kit';
import { ListingQuery, toPageRequest, toTimeRange, wantsNumeric } from '../domain/query-params';
import { ReadingsService } from '../domain/readings.service';
import { toAggregateFunc } from '../domain/aggregate';
import type { ReadingFilter } from '../persistence/event-store';

/** The reading endpoints of EdgeX core-data.yaml (v3). Listings and counts scan the tables: they wait their turn (@AdmittedQuery). */
@Controller('reading')
export class ReadingsController {
  constructor(
    private readonly readings: ReadingsService,
    @Inject(MAX_RESULT_COUNT) private readonly maxResultCount: number,
  ) {}

  @Get('all')
  @AdmittedQuery()
  all(@Query() query: ListingQuery) {
    return this.list({}, query);
  }

  @Get('count')
  @AdmittedQuery()
  async count() {
    return okResponse({ count: await this.readings.count({}) });
  }

  @Get('count/device/name/:name')
  @AdmittedQuery()
  async countByDevice(@Param('name') deviceName: string) {
    return okResponse({ count: await this.readings.count({ deviceName }) });
  }

  @Get('device/name/:name')
  @AdmittedQuery()
  byDevice(@Param('name') deviceName: string, @Query() query: ListingQuery) {
    return this.list({ deviceName }, query);
  }

  @Get('resourceName/:resourceName')
  @AdmittedQuery()
  byResource(@Param('resourceName') resourceName: string, @Query() query: ListingQuery) {
    return this.list({ resourceName }, query);
  }

  @Get('device/name/:deviceName/resourceName/:resourceName')
  @AdmittedQuery()
  byDeviceAndResource(
    @Param('deviceName') deviceName: string,
    @Param('resourceName') resourceName: string,
    @Query() query: ListingQuery,
  ) {
    return this.list({ deviceName, resourceName }, query);
  }

  @Get('start/:start/end/:end')
  @AdmittedQuery()
  byTime(@Param('start') start: string, @Param('end') end: string, @Query() query: ListingQuery) {
    return this.list(toTimeRange(start, end), query);
  }

  @Get('resourceName/:resourceName/start/:start/end/:end')
  @AdmittedQuery()
  byResourceAndTime(
    @Param('resourceName') resourceName: string,
    @Param('start') start: string,
    @Param('end') end: string,
    @Query() query: ListingQuery,
  ) {
    return this.list({ resourceName, ...toTimeRange(start, end) }, query);
  }

  @Get('device/name/:deviceName/resourceName/:resourceName/start/:start/end/:end')
  @AdmittedQuery()
  byDeviceResourceAndTime(
    @Param('deviceName') deviceName: string,
    @Param('resourceName') resourceName: string,
    @Param('start') start: string,
    @Param('end') end: string,
    @Query() query: ListingQuery,
  ) {
    return this.list({ deviceName, resourceName, ...toTimeRange(start, end) }, query);
  }

  /** EdgeX also reads resource names from a GET body here; without one it answers all of the device's readings. */
  @Get('device/name/:deviceName/start/:start/end/:end')
  @AdmittedQuery()
  byDeviceAndTime(
    @Param('deviceName') deviceName: string,
    @Param('start') start: string,
    @Param('end') end: string,
    @Query() query: ListingQuery,
  ) {
    return this.list({ deviceName, ...toTimeRange(start, end) }, query);
  }

  /** A page of readings, or with `aggregateFunc` (EdgeX 4) one aggregate per device, resource and profile instead. */
  private async list(filter: ReadingFilter, query: ListingQuery) {
    const fn = toAggregateFunc(query.aggregateFunc);
    if (fn) return okResponse({ aggregateFunc: fn, readings: await this.readings.aggregate(filter, fn) });
    const page = await this.readings.page(filter, toPageRequest(query, this.maxResultCount), wantsNumeric(query));
    return countResponse(page.totalCount, { readings: page.items });
  }
}
