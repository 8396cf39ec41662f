import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import type { Event, Page } from '@gw/contracts';
import { AdmittedQuery, countResponse, idResponse, MAX_RESULT_COUNT, okResponse } from '@gw/service-kit';
import { EventSource, EventsService } from '../domain/events.service';
import { ListingQuery, nanos, toPageRequest, toTimeRange, wantsNumeric } from '../domain/query-params';
import { asNumeric } from '../domain/readings.service';
import type { EventFilter } from '../persistence/event-store';

/** The event endpoints of EdgeX core-data.yaml (v3). Listings and counts scan the tables: they wait their turn (@AdmittedQuery). */
@Controller('event')
export class EventsController {
  constructor(
    private readonly events: EventsService,
    @Inject(MAX_RESULT_COUNT) private readonly maxResultCount: number,
  ) {}

  @Post(':serviceName/:profileName/:deviceName/:sourceName')
  @HttpCode(201)
  async add(@Param() source: EventSource, @Body() body: unknown) {
    const { id, requestId } = await this.events.add(source, body);
    return idResponse(id, 201, requestId);
  }

  @Get('all')
  @AdmittedQuery()
  all(@Query() query: ListingQuery) {
    return this.list({}, query);
  }

  @Get('count')
  @AdmittedQuery()
  async count() {
    return okResponse({ count: await this.events.count({}) });
  }

  @Get('count/device/name/:name')
  @AdmittedQuery()
  async countByDevice(@Param('name') deviceName: string) {
    return okResponse({ count: await this.events.count({ deviceName }) });
  }

  @Get('device/name/:name')
  @AdmittedQuery()
  byDevice(@Param('name') deviceName: string, @Query() query: ListingQuery) {
    return this.list({ deviceName }, query);
  }

  /** 202 as in EdgeX; the events are gone by the time it answers. */
  @Delete('device/name/:name')
  @HttpCode(202)
  async deleteByDevice(@Param('name') deviceName: string) {
    await this.events.deleteByDevice(deviceName);
    return okResponse(undefined, 202);
  }

  @Get('start/:start/end/:end')
  @AdmittedQuery()
  byTime(@Param('start') start: string, @Param('end') end: string, @Query() query: ListingQuery) {
    return this.list(toTimeRange(start, end), query);
  }

  @Get('id/:id')
  async byId(@Param('id') id: string, @Query() query: ListingQuery) {
    const event = await this.events.byId(id);
    return okResponse({ event: wantsNumeric(query) ? numericEvent(event) : event });
  }

  @Delete('id/:id')
  async deleteById(@Param('id') id: string) {
    await this.events.deleteById(id);
    return okResponse();
  }

  /** `age` in nanoseconds, as EdgeX's contract and implementation read it. */
  @Delete('age/:age')
  @HttpCode(202)
  async deleteByAge(@Param('age') age: string) {
    await this.events.deleteOlderThan(nanos('age', age));
    return okResponse(undefined, 202);
  }

  private async list(filter: EventFilter, query: ListingQuery) {
    const page: Page<Event> = await this.events.page(filter, toPageRequest(query, this.maxResultCount));
    const events = wantsNumeric(query) ? page.items.map(numericEvent) : page.items;
    return countResponse(page.totalCount, { events });
  }
}

function numericEvent(event: Event): Event {
  return { ...event, readings: event.readings.map(asNumeric) };
}
