export * from './api-routes';
export { commonRoutes, DOCS_PATH, OPENAPI_JSON_PATH } from './common-routes';
export { documentedApi, registeredRoutes } from './route-recorder';
export { DOCS_FILE_ROUTE } from './serve';
