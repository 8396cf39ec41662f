import { Controller, Get, Header, Inject } from '@nestjs/common';
import { Registry } from 'prom-client';
import { SERVICE_METRICS } from '../tokens';

/** GET /api/v3/metrics: the service's registry in Prometheus text format (behind the API key when one is set). */
@Controller()
export class MetricsController {
  constructor(@Inject(SERVICE_METRICS) private readonly registry: Registry) {}

  @Get('metrics')
  @Header('content-type', Registry.PROMETHEUS_CONTENT_TYPE)
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
