import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { Registry } from 'prom-client';

export const CORE_DATA_REGISTRY = Symbol('core-data.registry');

/** core-data's ingest counters for Prometheus. */
@Controller()
export class MetricsController {
  constructor(@Inject(CORE_DATA_REGISTRY) private readonly registry: Registry) {}

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
