import { ServerTCP } from 'modbus-serial';
import type { Logger } from '@gw/service-kit';
import { EnergyMeter } from './energy-meter';

export interface SimulatorOptions {
  host: string;
  port: number;
  unitId: number;
}

export interface RunningSimulator {
  meter: EnergyMeter;
  port: number;
  close(): Promise<void>;
}

/**
 * A Modbus TCP server (modbus-serial's ServerTCP) serving one EM-3P meter on
 * `unitId`. Unknown addresses answer with exception 2, other units not at all
 * (modbus-serial drops their requests), as a real meter on its own would.
 */
export async function startSimulator(options: SimulatorOptions, logger: Logger, meter = new EnergyMeter()): Promise<RunningSimulator> {
  const illegalAddress = (what: string) => Object.assign(new Error(`illegal address ${what}`), { modbusErrorCode: 0x02 });
  const vector = {
    getInputRegister: (addr: number) => {
      const regs = meter.inputRegisters();
      if (addr >= regs.length) throw illegalAddress(`input register ${addr}`);
      return regs[addr];
    },
    getMultipleInputRegisters: (addr: number, length: number) => {
      const regs = meter.inputRegisters();
      if (addr + length > regs.length) throw illegalAddress(`input registers ${addr}+${length}`);
      return regs.slice(addr, addr + length);
    },
    getHoldingRegister: (addr: number) => {
      if (addr > 0) throw illegalAddress(`holding register ${addr}`);
      return meter.holdingRegister(addr);
    },
    setRegister: (addr: number, value: number) => {
      try {
        meter.setHoldingRegister(addr, value);
      } catch (err) {
        throw Object.assign(err as Error, { modbusErrorCode: addr === 0 ? 0x03 : 0x02 });
      }
      logger.info({ register: addr, value }, 'holding register written');
    },
    getCoil: (addr: number) => {
      if (addr > 0) throw illegalAddress(`coil ${addr}`);
      return meter.state.relay;
    },
    setCoil: (addr: number, value: boolean) => {
      if (addr > 0) throw illegalAddress(`coil ${addr}`);
      meter.state.relay = value;
      logger.info({ relay: value }, 'relay switched');
    },
  };
  const server = new ServerTCP(vector, { host: options.host, port: options.port, unitID: options.unitId });
  server.on('socketError', (err: Error | null) => logger.debug({ err: err?.message }, 'client socket error'));
  await new Promise<void>((resolve, reject) => {
    server.once('initialized', () => resolve());
    server.once('serverError', reject);
  });
  const port = (server as unknown as { _server: { address(): { port: number } } })._server.address().port;
  logger.info({ host: options.host, port, unitId: options.unitId }, 'Modbus simulator listening (EM-3P energy meter)');
  return { meter, port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
