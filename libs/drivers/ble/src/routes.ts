/**
 * REST routes of device-ble, served as /api/v3/ble/... with the API key and
 * the EdgeX envelope:
 *   GET  adapter                       the adapter: `unavailable: <reason>`, or its power state, address, scan; connection slots
 *   POST scan                          a scan with filters {duration, nameRegex, serviceUuids, minRssi}: the devices heard
 *   GET  services?mac=...              a device's services and characteristics (connects)
 *   GET  profiledraft?mac=...&name=... an EdgeX device profile drafted from them (format=yaml|json)
 * Device operations without a usable adapter answer 503 naming it.
 */
import { stringify } from 'yaml';
import { z } from 'zod';
import { ErrorKind, GatewayError, nameProblem, parseDuration } from '@gw/contracts';
import { driverRoute, DriverRoute } from '@gw/device-sdk/driver';
import { parseBleAddress } from './attributes';
import type { BleDriver } from './ble-driver';
import type { BleSettings } from './descriptor';
import { normalizeUuid } from './gatt';
import type { Connected } from './link';

export interface BleRouteDeps {
  driver: BleDriver;
  settings: BleSettings;
}

/** Longest scan a request may ask for. */
export const MAX_SCAN_MS = 60_000;

const mac = z.string().max(64);
const name = z
  .string()
  .optional()
  .superRefine((text, ctx) => {
    const problem = text === undefined ? undefined : nameProblem(text);
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
  });

const scanBody = z
  .object({
    duration: z
      .string()
      .max(32)
      .optional()
      .transform((text, ctx) => {
        if (text === undefined) return undefined;
        let ms: number | undefined;
        try {
          ms = parseDuration(text);
        } catch {
          ms = undefined;
        }
        if (ms === undefined || ms <= 0 || ms > MAX_SCAN_MS) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${text}" is not a duration above 0 and at most ${MAX_SCAN_MS / 1000}s` });
          return z.NEVER;
        }
        return ms;
      }),
    nameRegex: z
      .string()
      .max(512)
      .optional()
      .superRefine((text, ctx) => {
        if (text === undefined) return;
        try {
          new RegExp(text, 'u');
        } catch (err) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not a regular expression: ${(err as Error).message}` });
        }
      }),
    serviceUuids: z
      .array(z.string().max(64))
      .max(64)
      .optional()
      .transform((list, ctx) =>
        list?.map((text, i) => {
          const uuid = normalizeUuid(text);
          if (!uuid) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i], message: `"${text}" is not a UUID` });
          return uuid ?? '';
        }),
      ),
    minRssi: z.number().int().min(-127).max(20).optional(),
  })
  .strict();

export function bleRoutes(deps: BleRouteDeps): DriverRoute[] {
  const { driver, settings } = deps;
  return [
    driverRoute({
      method: 'GET',
      path: 'adapter',
      // The adapter's own status fields (state, address, scan) besides these.
      answer: { json: z.object({ connections: z.object({ inUse: z.number(), max: z.number(), waiting: z.number() }).strict(), decodeFailures: z.number() }).passthrough(), errors: [400] },
      handle: async () => {
        const slots = driver.slots;
        return {
          json: { ...driver.adapter.status(), connections: { inUse: slots.inUse, max: slots.max, waiting: slots.waiting }, decodeFailures: driver.decodeFailures },
        };
      },
    }),
    driverRoute({
      method: 'POST',
      path: 'scan',
      answer: { json: z.object({ devices: z.array(z.record(z.string(), z.unknown())) }).strict(), errors: [400, 503, 504] },
      body: scanBody,
      handle: async ({ body }) => {
        const { scan } = await import('./discovery');
        const devices = await scan(driver, {
          durationMs: body.duration ?? settings.scanDuration,
          nameRegex: body.nameRegex ?? settings.scanNameRegex,
          serviceUuids: body.serviceUuids ?? settings.scanServiceUuids,
          minRssi: body.minRssi ?? settings.scanMinRssi,
        });
        return { json: { devices } };
      },
    }),
    driverRoute({
      method: 'GET',
      path: 'services',
      answer: { json: z.object({ mac: z.string(), services: z.array(z.record(z.string(), z.unknown())) }).strict(), errors: [400, 404, 503, 504] },
      query: z.object({ mac }).strict(),
      handle: async ({ query }) => {
        const address = addressOf(query.mac);
        const services = await withServices(driver, address, shapes);
        return { json: { mac: address.toUpperCase(), services } };
      },
    }),
    driverRoute({
      method: 'GET',
      path: 'profiledraft',
      answer: { json: z.object({ profile: z.record(z.string(), z.unknown()) }).strict(), fileTypes: ['application/x-yaml'], errors: [400, 404, 503, 504] },
      query: z.object({ mac, name, format: z.enum(['yaml', 'json']).default('yaml') }).strict(),
      handle: async ({ query }) => {
        const address = addressOf(query.mac);
        const [{ profileDraft }, { deviceInformationOn }] = await Promise.all([import('./profile-draft'), import('./discovery')]);
        // One connection for both: the services, then manufacturer and model (a draft without them when they cannot be read).
        const { services, info } = await withServices(driver, address, async (c) => ({
          services: shapes(c),
          info: await deviceInformationOn(c, address.toUpperCase()).catch((err: unknown) => {
            driver.logger.debug({ device: address.toUpperCase(), err: (err as Error)?.message }, 'BLE Device Information not read');
            return {} as { manufacturer?: string; model?: string };
          }),
        }));
        const profile = profileDraft(services, { name: query.name ?? `BLE-${address.replace(/:/gu, '').toUpperCase()}`, mac: address.toUpperCase(), manufacturer: info.manufacturer, model: info.model });
        if (query.format === 'json') return { json: { profile } };
        const notes = '# Device profile drafted by the gateway from a BLE device\'s services: check names, types and readWrite,\n# then upload it: POST /api/v3/deviceprofile/uploadfile (core-metadata).\n';
        return { content: `${notes}${stringify(profile)}`, contentType: 'application/x-yaml; charset=utf-8', fileName: `${profile.name}.yaml` };
      },
    }),
  ];
}

function addressOf(text: string): string {
  try {
    return parseBleAddress('query', { BLE: { MAC: text } });
  } catch {
    throw new GatewayError(ErrorKind.ContractInvalid, `query parameter mac: "${text.slice(0, 64)}" is not a MAC address (AA:BB:CC:DD:EE:FF)`);
  }
}

/** The services of a connection, with their characteristics' UUIDs and properties. */
function shapes(c: Connected): Array<{ uuid: string; characteristics: Array<{ uuid: string; properties: string[] }> }> {
  return c.services.map((s) => ({ uuid: s.uuid, characteristics: s.characteristics.map((ch) => ({ uuid: ch.uuid, properties: ch.properties })) }));
}

/** Runs `read` on a connection to `address`: an added device's own, or one made for the call. */
async function withServices<T>(driver: BleDriver, address: string, read: (c: Connected) => T | Promise<T>): Promise<T> {
  const { link, done } = driver.linkAt(address, `browse-${address}`);
  try {
    return await link.run(`browsing ${address.toUpperCase()}`, async (c) => read(c));
  } finally {
    done();
  }
}
