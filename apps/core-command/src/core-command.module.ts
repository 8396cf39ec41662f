import { DynamicModule, Module } from '@nestjs/common';
import { Topics } from '@gw/contracts';
import { MessageBus } from '@gw/messaging';
import type { Logger } from '@gw/service-kit';
import { CommandForwarder } from './domain/command-forwarder';
import { CoreCommandService } from './domain/core-command.service';
import type { MetadataLookup } from './domain/metadata-lookup';
import { CommandsController } from './http/commands.controller';

/** What core-command needs from outside; the composition root (run.ts or the gateway) provides it. */
export interface CoreCommandDeps {
  metadata: MetadataLookup;
  bus: MessageBus;
  topics: Topics;
  commandTimeoutMs: number;
  maxResultCount: number;
  /** core-command's own base URL for listed commands; known once the app listens. */
  publicUrl: () => string;
  log: Logger;
}

@Module({})
export class CoreCommandModule {
  static register(deps: CoreCommandDeps): DynamicModule {
    const forwarder = new CommandForwarder(deps.bus, deps.topics, deps.commandTimeoutMs, deps.log);
    const commands = new CoreCommandService(deps.metadata, forwarder, deps.publicUrl, deps.maxResultCount);
    return {
      module: CoreCommandModule,
      controllers: [CommandsController],
      providers: [{ provide: CoreCommandService, useValue: commands }],
      exports: [CoreCommandService],
    };
  }
}
