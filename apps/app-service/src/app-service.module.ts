import { DynamicModule, Module } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { EXPORT_REGISTRY, ExportsController } from './http/exports.controller';
import { EXPORT_FIGURES, ExportFiguresSource } from './http/figures';

@Module({})
export class AppServiceModule {
  static register(deps: { figures: ExportFiguresSource; registry: Registry }): DynamicModule {
    return {
      module: AppServiceModule,
      controllers: [ExportsController],
      providers: [
        { provide: EXPORT_FIGURES, useValue: deps.figures },
        { provide: EXPORT_REGISTRY, useValue: deps.registry },
      ],
    };
  }
}
