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
      upstreamTimeout: 15_000,
    });
  });

  it('reads the services\' timeout and the host names allowed without a key', () => {
    expect(loadConsoleConfig({ GW_CONSOLE_UPSTREAM_TIMEOUT: '2s', GW_CONSOLE_ALLOWED_HOSTS: 'Console.Plant.local, .lab.local' })).toMatchObject({
      upstreamTimeout: 2000,
      allowedHosts: ['console.plant.local', '.lab.local'],
    });
  });

  it('reads its own variables before the shared ones', () => {
    const config = loadConsoleConfig({ GW_CONSOLE_PORT: '4100', GW_PORT: '1', GW_METADATA_URL: 'http://metadata:59881', GW_CONSOLE_MAX_CLIENTS: '5' });
    expect(config).toMatchObject({ port: 4100, metadataUrl: 'http://metadata:59881', maxClients: 5 });
  });

  it('refuses wrong settings at boot, naming each variable', () => {
    const message = messageOf(() => loadConsoleConfig({ GW_CONSOLE_PORT: 'x', GW_CONSOLE_MAX_CLIENTS: '0', GW_CORE_DATA_URL: 'ftp://x', GW_CONSOLE_UPSTREAM_TIMEOUT: '0', GW_CONSOLE_ALLOWED_HOSTS: 'http://x:4000' }));
    for (const variable of ['GW_CONSOLE_PORT', 'GW_CONSOLE_MAX_CLIENTS', 'GW_CORE_DATA_URL', 'GW_CONSOLE_UPSTREAM_TIMEOUT', 'GW_CONSOLE_ALLOWED_HOSTS']) expect(message).toMatch(new RegExp(`${variable}: expected`));
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
