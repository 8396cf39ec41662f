/**
 * The OPC UA driver's security: its PKI and certificate, the options a
 * client connects with, the trust list, and failures explained. Loads
 * node-opcua: import it lazily (`await import('./security')`).
 */
export * from './types';
export * from './policy';
export * from './identity';
export * from './certificate-info';
export * from './layout';
export * from './pki';
export * from './check';
export * from './client-options';
export * from './connect-failure';
export * from './trust-list';
