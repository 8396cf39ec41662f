import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ErrorKind, GatewayError } from '@gw/contracts';
import { okResponse } from '@gw/service-kit';
import type { TwinModel } from '../twin/twin-model';

/** Builds the DTDL model of an azure-twin sink (the running app service provides it). */
export type TwinModelSource = (sink: string) => Promise<TwinModel> | undefined;
export const TWIN_MODELS = Symbol('app-service.twinModels');

/** IoT Plug and Play: the DTDL model an azure-twin sink announces (`modelId`), from the device profiles. */
@Controller()
export class TwinModelController {
  constructor(@Inject(TWIN_MODELS) private readonly models: TwinModelSource) {}

  @Get('twin/model/:sink')
  async model(@Param('sink') sink: string) {
    const model = this.models(sink);
    if (!model) throw new GatewayError(ErrorKind.EntityNotFound, `no azure-twin sink named ${sink}`);
    return okResponse(await model);
  }
}
