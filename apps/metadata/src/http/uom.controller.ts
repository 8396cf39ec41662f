import { Controller, Get, Inject } from '@nestjs/common';
import { okResponse } from '@gw/service-kit';
import { UnitsOfMeasure } from '../domain/units-of-measure';

/** EdgeX v3: GET /api/v3/uom, the units of measure core-metadata knows (GW_METADATA_UNITS_FILE). */
@Controller('uom')
export class UomController {
  constructor(@Inject(UnitsOfMeasure) private readonly units: UnitsOfMeasure) {}

  @Get()
  get() {
    return okResponse({ uom: this.units.definition });
  }
}
