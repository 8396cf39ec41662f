import { Body, Controller, Get, Param, Put, Query, Req } from '@nestjs/common';
import { countResponse, okResponse } from '@gw/service-kit';
import { CoreCommandService } from '../domain/core-command.service';

/** The request's id is the X-Correlation-ID (the caller's or a fresh one): it travels on to the device service. */
interface CorrelatedRequest {
  id: string;
}

/** core-command.yaml: list a device's commands, issue GET and PUT commands. */
@Controller('device')
export class CommandsController {
  constructor(private readonly commands: CoreCommandService) {}

  @Get('all')
  async all(@Query() query: Record<string, unknown>) {
    const { totalCount, deviceCoreCommands } = await this.commands.allDeviceCommands(query);
    return countResponse(totalCount, { deviceCoreCommands });
  }

  @Get('name/:name')
  async device(@Param('name') deviceName: string) {
    return okResponse({ deviceCoreCommand: await this.commands.deviceCommands(deviceName) });
  }

  @Get('name/:name/:command')
  get(
    @Param('name') deviceName: string,
    @Param('command') commandName: string,
    @Query() query: Record<string, unknown>,
    @Req() request: CorrelatedRequest,
  ) {
    return this.commands.execute({ deviceName, commandName, method: 'get', query, correlationId: request.id });
  }

  @Put('name/:name/:command')
  set(
    @Param('name') deviceName: string,
    @Param('command') commandName: string,
    @Query() query: Record<string, unknown>,
    @Body() body: unknown,
    @Req() request: CorrelatedRequest,
  ) {
    return this.commands.execute({ deviceName, commandName, method: 'set', query, body, correlationId: request.id });
  }
}
