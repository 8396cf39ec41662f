import { EnergyMeter } from './energy-meter';

const float32LowWordFirst = (regs: number[], at: number) => {
  const buf = Buffer.alloc(4);
  buf.writeUInt16BE(regs[at + 1], 0);
  buf.writeUInt16BE(regs[at], 2);
  return buf.readFloatBE(0);
};

describe('EnergyMeter register image', () => {
  it('encodes the EM-3P map: word-swapped floats, 0.01 Hz, a high-word-first counter', () => {
    let now = 1_000_000;
    const meter = new EnergyMeter(() => now);
    const regs = meter.inputRegisters();
    expect(float32LowWordFirst(regs, 0)).toBeCloseTo(230, -1);
    expect(regs[20]).toBeGreaterThan(4990);
    expect(regs[20]).toBeLessThan(5010);
    const energy = regs[30] * 65536 + regs[31];
    now += 3_600_000; // an hour at several kW
    const later = meter.inputRegisters();
    expect(later[30] * 65536 + later[31]).toBeGreaterThan(energy + 1000);
  });

  it('cuts the current when the relay opens and raises the alarm bit above the limit', () => {
    const meter = new EnergyMeter(() => 0);
    expect(float32LowWordFirst(meter.inputRegisters(), 6)).toBeGreaterThan(10);
    meter.setHoldingRegister(0, 1);
    expect(meter.inputRegisters()[40]).toBe(1 << 3);
    meter.state.relay = false;
    expect(float32LowWordFirst(meter.inputRegisters(), 6)).toBe(0);
    expect(meter.inputRegisters()[40]).toBe(0);
  });

  it('refuses a current limit outside 1..100 A and unknown registers', () => {
    const meter = new EnergyMeter();
    expect(() => meter.setHoldingRegister(0, 0)).toThrow(/outside 1\.\.100/);
    expect(() => meter.setHoldingRegister(3, 1)).toThrow(/not writable/);
  });
});
