import { loadAppServiceConfig } from './config';

describe('app service configuration', () => {
  it('takes GW_APP_SERVICE_MAX_IN_FLIGHT (default 500) and refuses a value outside 1-100000 by its name', () => {
    expect(loadAppServiceConfig({}).maxInFlight).toBe(500);
    expect(loadAppServiceConfig({ GW_APP_SERVICE_MAX_IN_FLIGHT: '1' }).maxInFlight).toBe(1);
    for (const bad of ['0', '-3', '2.5', 'many', '100001']) {
      expect(() => loadAppServiceConfig({ GW_APP_SERVICE_MAX_IN_FLIGHT: bad })).toThrow(/GW_APP_SERVICE_MAX_IN_FLIGHT: expected an integer 1-100000/);
    }
  });
});
