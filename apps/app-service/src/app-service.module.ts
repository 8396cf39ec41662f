import { DynamicModule, Module } from '@nestjs/common';
import { ExportsController } from './http/exports.controller';
import { EXPORT_FIGURES, ExportFiguresSource } from './http/figures';
import { TWIN_MODELS, TwinModelController, TwinModelSource } from './http/twin-model.controller';

@Module({})
export class AppServiceModule {
  static register(deps: { figures: ExportFiguresSource; twinModels: TwinModelSource }): DynamicModule {
    return {
      module: AppServiceModule,
      controllers: [ExportsController, TwinModelController],
      providers: [
        { provide: EXPORT_FIGURES, useValue: deps.figures },
        { provide: TWIN_MODELS, useValue: deps.twinModels },
      ],
    };
  }
}
