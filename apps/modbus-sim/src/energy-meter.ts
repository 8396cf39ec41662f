/**
 * The EM-3P energy meter of resources/profiles/Energy-Meter-Modbus.profile.yaml
 * as a register image: values move with time so a newcomer sees live
 * readings, and the writable registers behave (the relay cuts the current,
 * the current limit raises the alarm bit).
 */
export interface EnergyMeterState {
  relay: boolean;
  currentLimit: number;
}

export class EnergyMeter {
  readonly state: EnergyMeterState = { relay: true, currentLimit: 32 };
  private energyWh = 125_000;
  private lastAt: number;

  constructor(private readonly now: () => number = Date.now) {
    this.lastAt = now();
  }

  /** Input registers 0..41 at this moment. */
  inputRegisters(): number[] {
    const t = this.now() / 1000;
    const current = this.state.relay ? 20 + 8 * Math.sin(t / 7) : 0;
    const voltages = [230 + 2 * Math.sin(t / 5), 231 + 2 * Math.sin(t / 6 + 1), 229 + 2 * Math.sin(t / 4 + 2)];
    const power = (voltages[0] + voltages[1] + voltages[2]) * current * 0.95;
    this.integrate(power);
    const regs = new Array<number>(42).fill(0);
    voltages.forEach((v, i) => putFloat32LowWordFirst(regs, i * 2, v));
    putFloat32LowWordFirst(regs, 6, current);
    putFloat32LowWordFirst(regs, 12, power);
    regs[20] = Math.round(5000 + 3 * Math.sin(t / 3)); // 0.01 Hz steps
    const wh = Math.floor(this.energyWh) >>> 0;
    regs[30] = wh >>> 16;
    regs[31] = wh & 0xffff;
    regs[40] = current > this.state.currentLimit ? 1 << 3 : 0;
    return regs;
  }

  holdingRegister(address: number): number {
    return address === 0 ? this.state.currentLimit : 0;
  }

  setHoldingRegister(address: number, value: number): void {
    if (address !== 0) throw new RangeError(`holding register ${address} is not writable`);
    if (value < 1 || value > 100) throw new RangeError(`current limit ${value} A is outside 1..100`);
    this.state.currentLimit = value;
  }

  private integrate(powerW: number): void {
    const at = this.now();
    this.energyWh += (powerW * Math.max(0, at - this.lastAt)) / 3_600_000;
    this.lastAt = at;
  }
}

function putFloat32LowWordFirst(regs: number[], at: number, value: number): void {
  const buf = Buffer.alloc(4);
  buf.writeFloatBE(value);
  regs[at] = buf.readUInt16BE(2);
  regs[at + 1] = buf.readUInt16BE(0);
}
