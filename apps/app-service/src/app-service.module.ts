import { DynamicModule, Module } from '@nestjs/common';
import { ExportsController } from './http/exports.controller';
import { EXPORT_FIGURES, ExportFiguresSource } from './http/figures';

@Module({})
export class AppServiceModule {
  static register(deps: { figures: ExportFiguresSource }): DynamicModule {
    return {
      module: AppServiceModule,
      controllers: [ExportsController],
      providers: [{ provide: EXPORT_FIGURES, useValue: deps.figures }],
    };
  }
}
