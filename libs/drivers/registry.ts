/**
 * Every driver this gateway can host, by the descriptor its folder exports.
 * The device-service app (GW_DEVICE_SERVICE_DRIVER) and the one-process
 * gateway (GW_DEVICE_SERVICES) loop over this list; nothing else names a
 * driver. A descriptor is light: its protocol library loads in create() only.
 * Adding a driver: its folder under libs/drivers, one line here, its tests.
 */
import type { DriverDescriptor } from '@gw/device-sdk/driver';
import { bleDriver } from './ble/src/descriptor';
import { modbusDriver } from './modbus/src/descriptor';
import { opcuaDriver } from './opcua/src/descriptor';
import { virtualDriver } from './virtual/src/descriptor';
import { zigbeeDriver } from './zigbee/src/descriptor';

export const DRIVERS: readonly DriverDescriptor[] = [virtualDriver, modbusDriver, opcuaDriver, bleDriver, zigbeeDriver];

/** The driver a device service runs when GW_DEVICE_SERVICE_DRIVER is unset. */
export const DEFAULT_DRIVER = virtualDriver.name;
