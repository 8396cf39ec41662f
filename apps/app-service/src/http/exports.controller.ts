import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { okResponse } from '@gw/service-kit';
import { EXPORT_FIGURES, ExportFiguresSource } from './figures';

export const EXPORT_REGISTRY = Symbol('app-service.exportRegistry');

/** Per-route export figures, as JSON and for Prometheus. */
@Controller()
export class ExportsController {
  constructor(
    @Inject(EXPORT_FIGURES) private readonly figures: ExportFiguresSource,
    @Inject(EXPORT_REGISTRY) private readonly registry: Registry,
  ) {}

  @Get('exports')
  exports() {
    return okResponse({ routes: this.figures.routes(), pipelines: this.figures.pipelines(), outbox: this.figures.outbox() });
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
