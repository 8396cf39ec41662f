import { DynamicModule, Module } from '@nestjs/common';
import { MAX_RESULT_COUNT } from '@gw/service-kit';
import { EventsService } from './domain/events.service';
import { ReadingsService } from './domain/readings.service';
import { EventsController } from './http/events.controller';
import { ReadingsController } from './http/readings.controller';

/** What core-data's HTTP side needs; startCoreData builds it. /metrics comes from service-kit (see http/prometheus.ts). */
export interface CoreDataDeps {
  events: EventsService;
  readings: ReadingsService;
  maxResultCount: number;
}

@Module({})
export class CoreDataModule {
  static register(deps: CoreDataDeps): DynamicModule {
    return {
      module: CoreDataModule,
      controllers: [EventsController, ReadingsController],
      providers: [
        { provide: MAX_RESULT_COUNT, useValue: deps.maxResultCount },
        { provide: EventsService, useValue: deps.events },
        { provide: ReadingsService, useValue: deps.readings },
      ],
    };
  }
}
