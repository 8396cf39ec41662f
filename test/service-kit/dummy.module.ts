/** A tiny service for the service-kit integration tests. */
import { Body, Controller, Get, HttpCode, Inject, Module, Param, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ErrorKind, GatewayError, ValidationError } from '@gw/contracts';
import { MULTI_STATUS, multiStatus, okResponse, SERVICE_CONFIG } from '@gw/service-kit';

@Controller('dummy')
class DummyController {
  constructor(@Inject(SERVICE_CONFIG) private readonly config: { serviceName: string }) {}

  @Get('kind/:kind')
  fail(@Param('kind') kind: ErrorKind): never {
    throw new GatewayError(kind, `failed with ${kind}`);
  }

  @Get('validation')
  invalid(): never {
    const path = 'deviceResources[1].properties.valueType';
    throw new ValidationError([{ path, message: 'unknown value type "Flaot32"', line: 17 }], 'profile.yaml');
  }

  @Get('crash')
  crash(): never {
    throw new TypeError('secret internals at /srv/app.js');
  }

  @Get('whoami')
  whoami() {
    return okResponse({ serviceName: this.config.serviceName });
  }

  @Post('echo')
  echo(@Body() body: unknown) {
    return okResponse({ body });
  }

  @Post('yaml')
  yaml(@Body() body: string) {
    return okResponse({ text: body });
  }

  @Post('upload')
  async upload(@Req() req: FastifyRequest) {
    const file = await req.file();
    if (!file) throw new GatewayError(ErrorKind.ContractInvalid, 'missing file');
    const content = await file.toBuffer();
    return okResponse({ field: file.fieldname, size: content.length }, 201);
  }

  @Post('batch')
  @HttpCode(MULTI_STATUS)
  batch(@Body() body: Array<{ requestId?: string; name: string }>) {
    const seen = new Set<string>();
    return multiStatus(body, async (item) => {
      if (seen.has(item.name)) throw new GatewayError(ErrorKind.DuplicateName, `name ${item.name} already exists`);
      seen.add(item.name);
      return { id: `id-${item.name}` };
    });
  }
}

@Module({ controllers: [DummyController] })
export class DummyModule {}
