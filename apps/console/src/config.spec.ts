import { loadConsoleConfig } from './config';

describe('console configuration', () => {
  it('defaults to port 4000 and the local services', () => {
    expect(loadConsoleConfig({})).toMatchObject({
      port: 4000,
      metadataUrl: 'http://localhost:59881',
      coreDataUrl: 'http://localhost:59880',
      coreCommandUrl: 'http://localhost:59882',
      appServiceUrl: 'http://localhost:59700',
      maxClients: 50,
      clientQueue: 256,
    });
  });

  it('reads its own variables before the shared ones', () => {
    const config = loadConsoleConfig({ GW_CONSOLE_PORT: '4100', GW_PORT: '1', GW_METADATA_URL: 'http://metadata:59881', GW_CONSOLE_MAX_CLIENTS: '5' });
    expect(config).toMatchObject({ port: 4100, metadataUrl: 'http://metadata:59881', maxClients: 5 });
  });

  it('refuses wrong settings at boot, naming each variable', () => {
    const message = messageOf(() => loadConsoleConfig({ GW_CONSOLE_PORT: 'x', GW_CONSOLE_MAX_CLIENTS: '0', GW_CORE_DATA_URL: 'ftp://x' }));
    for (const variable of ['GW_CONSOLE_PORT', 'GW_CONSOLE_MAX_CLIENTS', 'GW_CORE_DATA_URL']) expect(message).toMatch(new RegExp(`${variable}: expected`));
  });
});

function messageOf(load: () => unknown): string {
  try {
    load();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the configuration was accepted');
}
