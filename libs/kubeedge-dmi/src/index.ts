/**
 * KubeEdge device management (DMI v1beta1). This entry is light: the
 * mapping between KubeEdge and EdgeX objects and the DMI message types.
 * The mapper itself loads gRPC; reach it through loadKubeEdgeMapper(), so
 * only a device service in mapper mode pays for it.
 */
export * from './dmi-types';
export * from './mapping';
export * from './any-value';
export type { MapperLogger } from './log';
export type { KubeEdgeMapperOptions, KubeEdgeMapperDeps, RunningKubeEdgeMapper } from './mapper';
export type { MapperCommands, MapperMetadata } from './kubeedge-devices';

export const loadKubeEdgeMapper = (): Promise<typeof import('./mapper')> => import('./mapper');
