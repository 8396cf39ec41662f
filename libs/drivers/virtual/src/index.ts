export { VirtualDriver } from './virtual-driver';
export type { VirtualDriverOptions } from './virtual-driver';
export { seededRandom } from './seeded-random';
export type { RandomSource } from './seeded-random';
export { ATTRIBUTES as VIRTUAL_ATTRIBUTES } from './simulation-attributes';
export { virtualDriver } from './descriptor';
