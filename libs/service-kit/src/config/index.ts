/**
 * The light entry of service-kit (`@gw/service-kit/config`): configuration
 * fields, loading and the shared bus/database settings. It loads zod and
 * @gw/contracts only (no Nest, TypeORM, mqtt or Redis), so a CLI, a console or
 * a driver's settings schema can import it without starting a service.
 */
export * from './fields';
export * from './infrastructure';
export * from './unknown-variables';
export * from './secret-reference';
export * from './query-admission-fields';
