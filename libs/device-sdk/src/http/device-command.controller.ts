import { Body, Controller, Get, Inject, Param, Put, Query } from '@nestjs/common';
import { okResponse } from '@gw/service-kit';
import { CommandExecutor } from '../command-executor';
import { commandFlags, setFlags } from '../command-flags';

/** EdgeX device-sdk.yaml: GET/PUT /api/v3/device/name/{name}/{command}. */
@Controller('device/name/:name/:command')
export class DeviceCommandController {
  constructor(@Inject(CommandExecutor) private readonly executor: CommandExecutor) {}

  @Get()
  async get(@Param('name') name: string, @Param('command') command: string, @Query() query: Record<string, unknown>) {
    const event = await this.executor.get(name, command, commandFlags(query));
    return okResponse(event ? { event } : {});
  }

  @Put()
  async set(@Param('name') name: string, @Param('command') command: string, @Body() body: unknown, @Query() query: Record<string, unknown>) {
    await this.executor.set(name, command, body, setFlags(query));
    return okResponse();
  }
}
