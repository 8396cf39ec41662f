import { loadGatewayConfig } from './config';

describe('the web console in the gateway\'s configuration', () => {
  it('is part of the gateway: on by default on 4000, GW_CONSOLE=false leaves it out, its settings checked with the rest', () => {
    expect(loadGatewayConfig({})).toMatchObject({ console: true, consolePort: 4000, consoleSettings: { maxClients: 50, clientQueue: 256 } });
    expect(loadGatewayConfig({ GW_CONSOLE: 'false', GW_CONSOLE_PORT: '4001' })).toMatchObject({ console: false, consolePort: 4001 });
    const message = messageOf(() => loadGatewayConfig({ GW_CONSOLE_PORT: '70000', GW_CONSOLE_CLIENT_QUEUE: '-1' }));
    for (const variable of ['GW_CONSOLE_PORT', 'GW_CONSOLE_CLIENT_QUEUE']) expect(message).toMatch(new RegExp(`${variable}: expected`));
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
