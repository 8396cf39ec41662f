/**
 * Modbus discovery: probes the unit ids of configured endpoints and offers
 * every unit that answers to the SDK, which matches it against the provision
 * watchers by its protocol properties.
 *
 * Scan targets are one string (GW_MODBUS_SCAN): entries
 * separated by whitespace or `;`, each
 *   tcp://<host>[:<port>][?units=..&timeout=..]
 *   rtu://<serial device>[?baud=..&databits=..&stopbits=..&parity=..&units=..&timeout=..]
 * where `units` lists ids and ranges, `1-10,20` (default 1-247).
 *
 * A unit is probed with Read Device Identification (FC43/14, basic objects):
 * any answer, an exception included, proves a live unit; silence within the
 * probe timeout means none. Exceptions 10 and 11 are a gateway reporting that
 * the unit behind it did not answer, so they mean none too.
 */
import { ErrorKind, GatewayError } from '@gw/contracts';
import type { DiscoveredDevice, DriverContext } from '@gw/device-sdk/driver';
import type ModbusRTU from 'modbus-serial';
import { ModbusEndpoint, parseEndpoint } from './attributes';
import type { ConnectionPool } from './connection';

export interface ScanTarget {
  /** The entry as configured, for logs. */
  text: string;
  endpoint: ModbusEndpoint;
  /** Unit ids to probe, ascending, each once. */
  units: number[];
  /** EdgeX protocol properties of a unit found here, but for its UnitID. */
  properties: Record<string, string>;
}

export const DEFAULT_PROBE_TIMEOUT_MS = 300;

/** Query options of a scan entry → the EdgeX protocol property they set. */
const OPTIONS: Record<string, { property: string; rtuOnly?: boolean }> = {
  timeout: { property: 'Timeout' },
  idletimeout: { property: 'IdleTimeout' },
  baud: { property: 'BaudRate', rtuOnly: true },
  baudrate: { property: 'BaudRate', rtuOnly: true },
  databits: { property: 'DataBits', rtuOnly: true },
  stopbits: { property: 'StopBits', rtuOnly: true },
  parity: { property: 'Parity', rtuOnly: true },
};

/** Unit ids parseEndpoint accepts per protocol (0 and 248-255 only make sense behind TCP). */
const UNIT_RANGE = { 'modbus-tcp': [0, 255], 'modbus-rtu': [1, 247] } as const;
const DEFAULT_UNITS = '1-247';

/** Parses the scan configuration; throws an Error naming the entry and the part at fault. */
export function parseScanTargets(text: string): ScanTarget[] {
  return text
    .split(/[\s;]+/u)
    .filter(Boolean)
    .map(parseScanTarget);
}

function parseScanTarget(entry: string): ScanTarget {
  const fail = (why: string): never => {
    throw new Error(`modbus scan target "${entry}": ${why}`);
  };
  const match = /^(tcp|rtu):\/\/([^?]*)(?:\?(.*))?$/iu.exec(entry);
  if (!match) return fail('expected tcp://<host>[:<port>][?options] or rtu://<serial device>[?options]');
  const scheme = match[1].toLowerCase();
  const protocol = scheme === 'tcp' ? 'modbus-tcp' : 'modbus-rtu';
  const where = match[2];
  const given: Record<string, string> = {};
  if (protocol === 'modbus-tcp') {
    const hostPort = /^(?:\[([^\]]+)\]|([^:/[\]]+))(?::([^:]*))?$/u.exec(where);
    if (!hostPort) return fail(`"${where}" is not <host>[:<port>] (an IPv6 address goes in brackets)`);
    given.Address = hostPort[1] ?? hostPort[2];
    if (hostPort[3] !== undefined) given.Port = hostPort[3];
  } else {
    if (where === '') return fail('the serial device is missing, e.g. rtu:///dev/ttyUSB0');
    given.Address = where;
  }

  let unitsText = DEFAULT_UNITS;
  for (const pair of (match[3] ?? '').split('&').filter(Boolean)) {
    const eq = pair.indexOf('=');
    const key = (eq < 0 ? pair : pair.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? '' : pair.slice(eq + 1);
    const option = OPTIONS[key];
    if (key !== 'units' && (!option || (option.rtuOnly && protocol === 'modbus-tcp'))) {
      const known = ['units', ...Object.keys(OPTIONS).filter((k) => protocol === 'modbus-rtu' || !OPTIONS[k].rtuOnly)];
      return fail(`unknown option "${key}" for ${scheme}:// (known: ${known.join(', ')})`);
    }
    if (value === '') return fail(`option "${key}" has no value (${key}=...)`);
    if (option) given[option.property] = value;
    else unitsText = value;
  }

  let endpoint: ModbusEndpoint;
  try {
    endpoint = parseEndpoint({ name: ENDPOINT_NAME, protocols: { [protocol]: given } });
  } catch (err) {
    const message = (err as Error).message;
    return fail(message.startsWith(ENDPOINT_PREFIX) ? message.slice(ENDPOINT_PREFIX.length) : message);
  }
  const units = parseUnits(unitsText, UNIT_RANGE[protocol], (why) => fail(`units: ${why}`));

  const properties: Record<string, string> =
    endpoint.protocol === 'modbus-tcp'
      ? { Address: endpoint.host, Port: String(endpoint.port) }
      : {
          Address: endpoint.path,
          BaudRate: String(endpoint.baudRate),
          DataBits: String(endpoint.dataBits),
          StopBits: String(endpoint.stopBits),
          Parity: endpoint.parity,
        };
  // Timeouts only when configured, as written: found devices otherwise take the driver's defaults.
  for (const property of ['Timeout', 'IdleTimeout']) if (given[property] !== undefined) properties[property] = given[property];
  return { text: entry, endpoint, units, properties };
}

// parseEndpoint names a device in its errors; a scan entry is not one.
const ENDPOINT_NAME = 'scan';
const ENDPOINT_PREFIX = `device "${ENDPOINT_NAME}": `;

function parseUnits(text: string, [min, max]: readonly [number, number], fail: (why: string) => never): number[] {
  const units = new Set<number>();
  for (const part of text.split(',')) {
    const range = /^(\d+)(?:-(\d+))?$/u.exec(part.trim());
    if (!range) return fail(`"${part}" is not a unit id or a range (N or N-M, separated by commas)`);
    const from = Number(range[1]);
    const to = range[2] === undefined ? from : Number(range[2]);
    for (const n of [from, to]) if (n < min || n > max) return fail(`${n} is outside ${min}..${max}`);
    if (to < from) return fail(`range ${part} runs backwards`);
    for (let unit = from; unit <= to; unit++) units.add(unit);
  }
  return [...units].sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------
// Scanning

/** Basic identification objects (FC43/14 object ids 0..2), as the spec names them. */
const IDENTIFICATION_OBJECTS = ['VendorName', 'ProductCode', 'MajorMinorRevision'] as const;
export type Identification = Partial<Record<(typeof IDENTIFICATION_OBJECTS)[number], string>>;

/** Exceptions by which a gateway says the unit behind it is not there. */
const GATEWAY_NO_UNIT = new Set([10, 11]);

const PROGRESS_EVERY = 16;

export interface ScanOptions {
  probeTimeoutMs?: number;
  logger?: DriverContext['logger'];
  /** Units not to probe (they already have a device). */
  skip?: (endpoint: ModbusEndpoint, unit: number) => boolean;
}

/**
 * Probes the units of every target, one request at a time per connection so
 * polling on the same line keeps its turn between probes. A target whose
 * endpoint fails (cannot connect, line lost) is logged and left; the others
 * still report what they find.
 */
export async function scanTargets(pool: ConnectionPool, targets: ScanTarget[], options: ScanOptions = {}): Promise<DiscoveredDevice[]> {
  const results = await Promise.all(targets.map((target) => scanTarget(pool, target, options)));
  const found = new Map<string, DiscoveredDevice>();
  for (const device of results.flatMap((r) => r.found)) if (!found.has(device.name)) found.set(device.name, device);
  const probed = results.reduce((sum, r) => sum + r.probed, 0);
  options.logger?.info({ targets: targets.length, probed, found: found.size }, 'modbus discovery scan finished');
  return [...found.values()];
}

async function scanTarget(pool: ConnectionPool, target: ScanTarget, options: ScanOptions): Promise<{ found: DiscoveredDevice[]; probed: number }> {
  const { endpoint } = target;
  const { logger } = options;
  const connection = pool.get(endpoint);
  const found: DiscoveredDevice[] = [];
  let probed = 0;
  logger?.debug({ endpoint: endpoint.key, units: target.units.length }, 'modbus discovery: scanning');
  for (const unit of target.units) {
    if (options.skip?.(endpoint, unit)) continue;
    let identification: Identification | undefined;
    try {
      identification = await connection.request({
        unitId: unit,
        timeoutMs: options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
        label: { deviceName: discoveredName(endpoint, unit), what: 'Read Device Identification (FC43)' },
        run: identify,
      });
    } catch (err) {
      if (!GatewayError.is(err, ErrorKind.Timeout)) {
        logger?.warn({ endpoint: endpoint.key, unit, probed, err: (err as Error).message }, 'modbus discovery: endpoint skipped');
        break;
      }
    }
    probed++;
    if (identification) {
      found.push(discoveredDevice(target, unit, identification));
      logger?.debug({ endpoint: endpoint.key, unit, ...identification }, 'modbus discovery: unit found');
    }
    if (probed % PROGRESS_EVERY === 0) {
      logger?.debug({ endpoint: endpoint.key, probed, of: target.units.length, found: found.length }, 'modbus discovery: progress');
    }
  }
  return { found, probed };
}

/** The unit's identification (empty when it does not offer one); undefined when a gateway reports it absent. */
async function identify(client: ModbusRTU): Promise<Identification | undefined> {
  // modbus-serial chases "more follows" with further FC43 requests (through the
  // client's writeFC43) whose callback reads the response even when that request
  // failed: an exception or timeout there throws out of a socket handler and the
  // request never settles, holding the line's queue for good. The first response
  // is enough, so any follow-up is answered at once with nothing.
  const patched = client as unknown as { writeFC43?: unknown };
  patched.writeFC43 = (_unit: number, _code: number, _object: number, next: (err: null, res: { data: object }) => void) =>
    next(null, { data: {} });
  try {
    const { data } = await client.readDeviceIdentification(1, 0);
    const identification: Identification = {};
    IDENTIFICATION_OBJECTS.forEach((name, objectId) => {
      const value = (data as unknown as Record<number, string | undefined>)[objectId]?.trim();
      if (value) identification[name] = value;
    });
    return identification;
  } catch (err) {
    const code = (err as { modbusCode?: unknown }).modbusCode;
    if (typeof code !== 'number') throw err;
    return GATEWAY_NO_UNIT.has(code) ? undefined : {};
  } finally {
    delete patched.writeFC43;
  }
}

/** `modbus-<host>-<port>-<unit>` or `modbus-<serial device>-<unit>`, reduced to characters safe in a device name. */
export function discoveredName(endpoint: ModbusEndpoint, unit: number): string {
  const where = endpoint.protocol === 'modbus-tcp' ? `${endpoint.host}-${endpoint.port}` : endpoint.path.replace(/^\/dev\//u, '');
  return `modbus-${where}-${unit}`.replace(/[^A-Za-z0-9._-]/gu, '_');
}

/** What the SDK gets for a unit that answered. */
export function discoveredDevice(target: ScanTarget, unit: number, identification: Identification): DiscoveredDevice {
  const { endpoint } = target;
  const identity = IDENTIFICATION_OBJECTS.map((name) => identification[name]).filter(Boolean);
  const device: DiscoveredDevice = {
    name: discoveredName(endpoint, unit),
    description: `Modbus unit ${unit} on ${endpoint.key}${identity.length ? ` (${identity.join(' ')})` : ''}`,
    labels: ['modbus'],
    protocols: { [endpoint.protocol]: { ...target.properties, UnitID: String(unit) } },
  };
  if (identity.length) device.properties = { ...identification };
  return device;
}
