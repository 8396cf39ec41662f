import { Controller, Get, Inject } from '@nestjs/common';
import { okResponse } from '@gw/service-kit';
import { EXPORT_FIGURES, ExportFiguresSource } from './figures';

/** Per-route export figures as JSON; the same for Prometheus on /metrics (see prometheus.ts). */
@Controller()
export class ExportsController {
  constructor(@Inject(EXPORT_FIGURES) private readonly figures: ExportFiguresSource) {}

  @Get('exports')
  exports() {
    return okResponse({ routes: this.figures.routes(), pipelines: this.figures.pipelines(), outbox: this.figures.outbox() });
  }
}
