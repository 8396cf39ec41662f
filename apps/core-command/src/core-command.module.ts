import { DynamicModule, Module } from '@nestjs/common';
import { CoreCommandService } from './domain/core-command.service';
import { CommandsController } from './http/commands.controller';

/** What core-command's HTTP side needs; startCoreCommand builds it. */
export interface CoreCommandDeps {
  commands: CoreCommandService;
}

@Module({})
export class CoreCommandModule {
  static register(deps: CoreCommandDeps): DynamicModule {
    return {
      module: CoreCommandModule,
      controllers: [CommandsController],
      providers: [{ provide: CoreCommandService, useValue: deps.commands }],
    };
  }
}
