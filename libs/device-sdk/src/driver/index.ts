/**
 * The driver-facing entry of the device SDK (`@gw/device-sdk/driver`): all a
 * protocol driver may import besides @gw/contracts (lint enforces it). The
 * contract, the descriptor, the value helpers and the settings field helpers;
 * nothing here loads Nest, TypeORM, mqtt or Redis.
 */
export * from './protocol-driver';
export * from './descriptor';
export * from './routes';
export { parseValue, toWriteValue } from '../values';
export { LogThrottle } from '../log';
export { bool, duration, field, int, lookUpSecret, oneOf, positiveDuration, secret, text, url } from '@gw/service-kit/config';
export type { SecretReader, SecretSources } from '@gw/service-kit/config';
