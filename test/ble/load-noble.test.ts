/**
 * loadNoble (the HCI noble, one per adapter per process) keeps only a noble
 * that opened its adapter: noble starts its bindings once, so one whose start
 * failed (bindRaw ENODEV: no such hciN) could never try again. The HCI
 * factory is replaced by real noble over fake bindings whose start fails once.
 */
import { FakeBindings } from './fake-bindings';
import { sensorPeripheral } from './support';

const bindings = new FakeBindings([sensorPeripheral()]);
const made: unknown[] = [];

jest.mock('@abandonware/noble/with-custom-binding', () => {
  const withBindings = jest.requireActual('@abandonware/noble/with-bindings');
  return { __esModule: true, default: () => made[made.push(withBindings(bindings)) - 1] };
});

describe('loadNoble', () => {
  it('throws the bind failure of a wrong hciN, keeps no broken noble, and then keeps the one that opened', async () => {
    const { loadNoble } = await import('../../libs/drivers/ble/src/noble-types');
    bindings.initFailures.push(Object.assign(new Error('bind ENODEV, No such device'), { code: 'ENODEV' }));
    await expect(loadNoble(7)).rejects.toMatchObject({ code: 'ENODEV' });
    const noble = await loadNoble(7);
    expect(made).toHaveLength(2);
    expect(noble).toBe(made[1]);
    expect(await loadNoble(7)).toBe(noble); // one per adapter
    expect(made).toHaveLength(2);
  });
});
