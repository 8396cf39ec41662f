import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { okResponse } from '@gw/service-kit';
import { DeviceValidator } from '../device-validator';

/** EdgeX v3: POST /api/v3/validate/device with a DeviceValidationRequest; 200 when the driver accepts the device. */
@Controller('validate/device')
export class ValidationController {
  constructor(@Inject(DeviceValidator) private readonly validator: DeviceValidator) {}

  @Post()
  @HttpCode(200)
  async validate(@Body() body: unknown) {
    await this.validator.validate(body);
    const requestId = (body as { requestId?: unknown }).requestId;
    return okResponse({}, 200, typeof requestId === 'string' ? requestId : undefined);
  }
}
