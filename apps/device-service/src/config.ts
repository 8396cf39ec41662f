import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { DRIVERS, DEFAULT_DRIVER } from '@gw/drivers';
import type { DriverDescriptor } from '@gw/device-sdk/driver';
import { DriverSettings, findDriver, loadDriverSettings } from '@gw/device-sdk/driver-host';
import {
  bool,
  busConfigFields,
  commonServiceConfig,
  ConfigProblems,
  configVariables,
  duration,
  envNames,
  field,
  int,
  isSet,
  loadConfig,
  oneOf,
  secret,
  SECRET_KEYS,
  secretKeysOf,
  settingsVariables,
  text,
  toEnvKey,
  url,
} from '@gw/service-kit/config';

type Env = Record<string, string | undefined>;
const PREFIX = 'device-service';
const DRIVER_NAMES = DRIVERS.map((d) => d.name) as [string, ...string[]];

/**
 * A device service's settings. Each is read from GW_DEVICE_SERVICE_<NAME>,
 * else the shared GW_<NAME> (e.g. GW_DEVICE_SERVICE_PORT, GW_BUS_TYPE),
 * validated once at boot. The driver (GW_DEVICE_SERVICE_DRIVER) gives the
 * defaults of the service name and port (device-modbus, 59901), and its own
 * settings come from GW_<DRIVER>_* (GW_MODBUS_SCAN). docker compose runs one
 * container per driver from the same image.
 */
export const deviceServiceConfigSchema = (driver: DriverDescriptor) =>
  z.object({
    ...commonServiceConfig({ serviceName: driver.serviceName, port: driver.defaultPort }),
    ...busConfigFields(),
    /** Which protocol driver this process runs. */
    driver: oneOf(DRIVER_NAMES).default(DEFAULT_DRIVER),
    /** core-metadata's base URL (without /api/v3). */
    metadataUrl: url().default('http://localhost:59881'),
    /** Sent to core-metadata when it requires an API key; defaults to this service's own apiKey. */
    metadataApiKey: secret(text()).optional(),
    /**
     * Where core-command reaches this service, registered in core-metadata
     * (e.g. http://device-virtual:59900 under compose). Unset: http://localhost:<port>.
     */
    baseAddress: url().optional(),
    /** Run the devices' autoEvents; false serves commands only. */
    autoEvents: bool().default(true),
    /** Consecutive failed reads or writes before a device is reported DOWN. */
    allowedFails: int(1, 10_000).default(3),
    /** Run discovery on this schedule (`0` = only on POST /api/v3/discovery). */
    discoveryInterval: duration().default('0'),
    /** A driver call still unanswered after this long fails with a timeout. */
    driverTimeout: duration().default('30s'),
    /** Events waiting for the message bus before new ones are dropped (and counted). */
    maxEventsInFlight: int(1, 1_000_000).default(5000),
    /** Longest wait between attempts to reach core-metadata at start. */
    metadataRetryMax: duration().default('30s'),
    /**
     * Run as a KubeEdge mapper (GW_KUBEEDGE_MAPPER): register with edgecore over
     * its DMI socket and take the devices and models declared in the cloud.
     */
    kubeedgeMapper: bool().default(false),
    /** edgecore's DMI socket (GW_KUBEEDGE_DMI_SOCKET). */
    kubeedgeDmiSocket: socketPath().default(DEFAULT_DMI_SOCKET),
    /** The socket this service serves DeviceMapperService on (GW_KUBEEDGE_MAPPER_SOCKET); default /etc/kubeedge/<service name>.sock. */
    kubeedgeMapperSocket: socketPath().optional(),
    /** The protocol edgecore gives this mapper the devices of (their spec.protocol.protocolName); default the driver's name. */
    kubeedgeProtocol: text().optional(),
    /** Longest wait between attempts to register with edgecore while it is away. */
    kubeedgeRetryMax: duration().default('30s'),
  });

/** edgecore's DMI socket, where KubeEdge puts it. */
export const DEFAULT_DMI_SOCKET = '/etc/kubeedge/dmi.sock';

/** A unix socket path holds at most 107 bytes (sun_path, and the NUL). */
export const MAX_SOCKET_PATH = 107;

/** A unix socket's path: absolute, and short enough for sun_path. */
const socketPath = () =>
  field(`an absolute path of at most ${MAX_SOCKET_PATH} bytes (a unix socket)`, (v) =>
    typeof v === 'string' && isAbsolute(v) && Buffer.byteLength(v) <= MAX_SOCKET_PATH ? v : undefined,
  );

export type DeviceServiceConfig = z.output<ReturnType<typeof deviceServiceConfigSchema>> & {
  /** The driver's own settings (GW_<DRIVER>_*), validated with the rest. */
  driverSettings: DriverSettings;
};

/**
 * Reads and validates everything at once: a wrong general setting, a wrong
 * driver setting and a retired variable are reported together in one error.
 */
export function loadDeviceServiceConfig(env: Env = process.env): DeviceServiceConfig {
  const problems = new ConfigProblems();
  problems.add(...retiredDriverVariables(env));
  // A wrong GW_DEVICE_SERVICE_DRIVER is reported with the general settings (validated with the default driver's defaults).
  const descriptor = new ConfigProblems().check(() => {
    const { driver } = loadConfig(z.object({ driver: oneOf(DRIVER_NAMES).default(DEFAULT_DRIVER) }), env, PREFIX);
    return findDriver(DRIVERS, driver, 'GW_DEVICE_SERVICE_DRIVER');
  });
  const schema = deviceServiceConfigSchema(descriptor ?? findDriver(DRIVERS, DEFAULT_DRIVER, 'GW_DEVICE_SERVICE_DRIVER'));
  const config = problems.check(() => loadConfig(schema, env, PREFIX));
  const driverSettings = descriptor && problems.check(() => loadDriverSettings(descriptor, env));
  problems.throwIfAny();
  // The spread drops config's secret() marks: keep them. driverSettings carries its own.
  const loaded = { ...config!, driverSettings: driverSettings! };
  Object.defineProperty(loaded, SECRET_KEYS, { value: secretKeysOf(config!), enumerable: false });
  return loaded;
}

/**
 * Every variable loadDeviceServiceConfig reads, to warn at boot about near
 * misses (GW_DEVICE_SERVICE_PROT, GW_MODBUS_SACN). Every driver's settings
 * count, not only this service's driver's: compose gives each device service
 * the same environment.
 */
export function deviceServiceConfigVariables(): string[] {
  return [
    ...configVariables(deviceServiceConfigSchema(findDriver(DRIVERS, DEFAULT_DRIVER, 'GW_DEVICE_SERVICE_DRIVER')), PREFIX),
    ...DRIVERS.flatMap((descriptor) => settingsVariables(descriptor.settings, descriptor.name)),
  ];
}

/**
 * Driver settings were once read as GW_DEVICE_SERVICE_<DRIVER>_<KEY>
 * (GW_DEVICE_SERVICE_MODBUS_SCAN); now only GW_<DRIVER>_<KEY> is. A variable
 * still set under the old name is refused with its new one, not ignored.
 */
function retiredDriverVariables(env: Env): string[] {
  return DRIVERS.flatMap((descriptor) =>
    Object.keys(descriptor.settings.shape).flatMap((key) => {
      const current = envNames(key, descriptor.name)[0];
      const old = `GW_DEVICE_SERVICE_${toEnvKey(descriptor.name)}_${toEnvKey(key)}`;
      return ['', '_FILE']
        .filter((suffix) => isSet(env, old + suffix))
        .map((suffix) => `${old}${suffix} is no longer read: use ${current}${suffix}`);
    }),
  );
}
