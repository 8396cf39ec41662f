import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ErrorKind, GatewayError, requestIdIssue } from '@gw/contracts';
import { okResponse } from '@gw/service-kit';
import { DeviceValidator } from '../device-validator';

/** EdgeX v3: POST /api/v3/validate/device with a DeviceValidationRequest; 200 when the driver accepts the device. */
@Controller('validate/device')
export class ValidationController {
  constructor(@Inject(DeviceValidator) private readonly validator: DeviceValidator) {}

  @Post()
  @HttpCode(200)
  async validate(@Body() body: unknown) {
    const requestId = (body as { requestId?: unknown } | null)?.requestId;
    const badRequestId = requestIdIssue(requestId);
    if (badRequestId) throw new GatewayError(ErrorKind.ContractInvalid, `${badRequestId.path}: ${badRequestId.message}`);
    await this.validator.validate(body);
    return okResponse({}, 200, requestId as string | undefined);
  }
}
