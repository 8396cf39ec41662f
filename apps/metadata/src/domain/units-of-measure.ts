/**
 * Units of measure, as EdgeX's core-metadata keeps them (GET /api/v3/uom):
 * a file of unit families, each with the spellings it allows. With
 * validation on, a profile whose resource names `units` that no family lists
 * is refused, naming the resource; off (EdgeX's default), the list is only
 * served, for consoles and clients to offer.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DeviceProfile, ErrorKind, FieldIssue, GatewayError, ValidationError } from '@gw/contracts';

const Unit = z.object({ source: z.string().optional(), values: z.array(z.string().min(1)).default([]) }).strict();
export const UomFile = z.object({ source: z.string().optional(), units: z.record(z.string(), Unit).default({}) }).strict();
export type UnitsOfMeasureDefinition = z.output<typeof UomFile>;

export class UnitsOfMeasure {
  private readonly known: ReadonlySet<string>;

  constructor(
    readonly definition: UnitsOfMeasureDefinition = { units: {} },
    private readonly validation = false,
  ) {
    this.known = new Set(Object.values(definition.units).flatMap((unit) => unit.values));
  }

  /** Throws naming every resource whose units are not listed (only with validation on; a resource without units passes). */
  check(profile: DeviceProfile, path = 'profile'): void {
    if (!this.validation) return;
    const issues: FieldIssue[] = [];
    profile.deviceResources.forEach((resource, i) => {
      const units = resource.properties.units;
      if (units !== undefined && units !== '' && !this.known.has(String(units))) {
        issues.push({ path: `${path}.deviceResources[${i}].properties.units`, message: `"${units}" is not a unit of measure known to core-metadata (GET /api/v3/uom; GW_METADATA_UNITS_FILE)` });
      }
    });
    if (issues.length) throw new ValidationError(issues);
  }
}

/** Reads GW_METADATA_UNITS_FILE at boot; a missing or malformed file stops the service with the reason. */
export async function loadUnitsOfMeasure(file: string | undefined, validation: boolean): Promise<UnitsOfMeasure> {
  if (!file) {
    if (validation) throw new GatewayError(ErrorKind.Config, 'GW_METADATA_UNITS_VALIDATION is on but GW_METADATA_UNITS_FILE names no file of units');
    return new UnitsOfMeasure();
  }
  let document: unknown;
  try {
    document = parseYaml(await readFile(file, 'utf8'));
  } catch (err) {
    throw new GatewayError(ErrorKind.Config, `GW_METADATA_UNITS_FILE: cannot read ${file}: ${(err as Error).message}`);
  }
  const parsed = UomFile.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new GatewayError(ErrorKind.Config, `GW_METADATA_UNITS_FILE: ${file}: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  return new UnitsOfMeasure(parsed.data, validation);
}
