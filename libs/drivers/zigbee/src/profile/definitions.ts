/**
 * Converter definitions (zigbee-herdsman-converters) resolved one model at a
 * time, never all of them (all 9,032 cost 3.3 s and ~143 MB; one ~14 MB over
 * the library): by Zigbee modelID through the library's own index
 * (`lumi.weather`), or by vendor model (`WSDCGQ11LM`, white labels included)
 * through an index of the device modules' text built on the first such
 * lookup, which then loads the one module that defines it. Loaded only when
 * a definition is asked for (a route, an interviewed device).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Definition, Expose } from 'zigbee-herdsman-converters';
import * as zhc from 'zigbee-herdsman-converters';
import type { ExposeLike } from './generate';

type Candidate = { module: string };

let vendorModelIndex: Map<string, string[]> | undefined;
const byName = new Map<string, Definition | null>();
/** Most names remembered (found or not); beyond it the cache starts over (a bound against a flood of unknown names). */
const MAX_CACHED = 5_000;

function devicesDir(): string {
  return join(dirname(require.resolve('zigbee-herdsman-converters')), 'devices');
}

const MODEL_LITERAL = /\bmodel:\s*"((?:[^"\\]|\\.)+)"/g;
const TUYA_WHITELABEL = /\bwhitelabel\(\s*"(?:[^"\\]|\\.)*",\s*"((?:[^"\\]|\\.)+)"/g;

/** Vendor model → device modules naming it, from the modules' text (read once, ~20 MB of files, nothing required). */
function vendorIndex(): Map<string, string[]> {
  if (vendorModelIndex) return vendorModelIndex;
  const index = new Map<string, string[]>();
  const dir = devicesDir();
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.js')) continue;
    const text = readFileSync(join(dir, file), 'utf8');
    for (const pattern of [MODEL_LITERAL, TUYA_WHITELABEL]) {
      for (const match of text.matchAll(pattern)) {
        const model = JSON.parse(`"${match[1]}"`) as string;
        const list = index.get(model) ?? [];
        if (!list.includes(file)) list.push(file);
        index.set(model, list);
      }
    }
  }
  vendorModelIndex = index;
  return index;
}

/** What findByDevice needs of a device to pick a definition by modelID alone. */
function dummyDevice(modelID: string) {
  return { modelID, type: 'EndDevice', endpoints: [], getEndpoint: () => undefined, isDummyDevice: true } as unknown as Parameters<typeof zhc.findByDevice>[0];
}

async function byVendorModel(model: string): Promise<Definition | undefined> {
  const files: Candidate[] = (vendorIndex().get(model) ?? []).map((module) => ({ module }));
  for (const { module } of files) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { definitions } = require(join(devicesDir(), module)) as { definitions: Array<Definition & { whiteLabel?: Array<{ model: string; vendor?: string; description?: string }> }> };
    for (const definition of definitions) {
      if (definition.model === model) return zhc.prepareDefinition(definition);
      const white = definition.whiteLabel?.find((w) => w.model === model);
      if (white) {
        return zhc.prepareDefinition({ ...definition, model: white.model, vendor: white.vendor ?? definition.vendor, description: white.description ?? definition.description });
      }
    }
  }
  return undefined;
}

/** The definition for a Zigbee modelID (`lumi.weather`) or a vendor model (`WSDCGQ11LM`); undefined when the converters know neither. */
export async function resolveDefinition(name: string): Promise<Definition | undefined> {
  if (byName.has(name)) return byName.get(name) ?? undefined;
  const found = (await zhc.findByDevice(dummyDevice(name))) ?? (await byVendorModel(name));
  if (byName.size >= MAX_CACHED) byName.clear();
  byName.set(name, found ?? null);
  return found;
}

/** The definition of a joined, interviewed device (fingerprints and all): the library's own match. */
export async function definitionOfDevice(device: Parameters<typeof zhc.findByDevice>[0]): Promise<Definition | undefined> {
  return zhc.findByDevice(device);
}

/** A definition's exposes for a device (a definition may expose per device), or for none (what any device of the model has). */
export function exposesOf(definition: Definition, device?: unknown): ExposeLike[] {
  const list: Expose[] = typeof definition.exposes === 'function' ? definition.exposes((device ?? { isDummyDevice: true }) as never, {}) : definition.exposes;
  return list.map((e) => JSON.parse(JSON.stringify(e)) as ExposeLike);
}
