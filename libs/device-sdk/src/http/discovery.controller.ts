import { Controller, Delete, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { okResponse } from '@gw/service-kit';
import { Discovery } from '../discovery';

/**
 * EdgeX device-sdk.yaml: POST /api/v3/discovery answers 202 with the run's
 * request id and discovers in the background; DELETE /discovery stops the run
 * under way, DELETE /discovery/requestId/{id} that run only (404 otherwise).
 */
@Controller('discovery')
export class DiscoveryController {
  constructor(@Inject(Discovery) private readonly discovery: Discovery) {}

  @Post()
  @HttpCode(202)
  start() {
    // start() throws at once for 423/503; the run itself logs its own outcome.
    const run = this.discovery.start();
    run.done.catch(() => undefined);
    return okResponse({ message: 'Device Discovery is triggered' }, 202, run.requestId);
  }

  @Delete()
  stop() {
    this.discovery.cancel();
    return okResponse();
  }

  @Delete('requestId/:requestId')
  stopOne(@Param('requestId') requestId: string) {
    this.discovery.cancel(requestId);
    return okResponse();
  }
}
