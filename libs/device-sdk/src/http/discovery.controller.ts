import { Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { okResponse } from '@gw/service-kit';
import { Discovery } from '../discovery';

/** EdgeX device-sdk.yaml: POST /api/v3/discovery answers 202 and discovers in the background. */
@Controller('discovery')
export class DiscoveryController {
  constructor(@Inject(Discovery) private readonly discovery: Discovery) {}

  @Post()
  @HttpCode(202)
  start() {
    // trigger() throws at once for 423/503; the run itself logs its own outcome.
    this.discovery.trigger().catch(() => undefined);
    return okResponse({ message: 'Device Discovery is triggered' }, 202);
  }
}
