export * from './scraped';
export * from './bus-metrics';
export * from './request-metrics';
export * from './process-metrics';
export * from './service-metrics';
export * from './metrics.controller';
