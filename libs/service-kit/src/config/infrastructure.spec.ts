import { z } from 'zod';
import { ErrorKind, GatewayError } from '@gw/contracts';
import { loadConfig } from './fields';
import { busConfigFields } from './infrastructure';

const Bus = z.object(busConfigFields());

function problem(env: Record<string, string>, prefix?: string): string {
  try {
    loadConfig(Bus, env, prefix);
  } catch (err) {
    expect(GatewayError.is(err, ErrorKind.Config)).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('bus settings', () => {
  it('refuse a bus URL that is not a URL, naming the variable', () => {
    expect(problem({ GW_BUS_TYPE: 'mqtt', GW_BUS_URL: 'notaurl' })).toBe(
      'invalid configuration: GW_BUS_URL: expected a URL (mqtt: mqtts: tcp: ssl: ws: wss: redis: rediss:), got "notaurl"',
    );
    expect(problem({ GW_BUS_TYPE: 'redis', GW_METADATA_BUS_URL: 'http://x' }, 'metadata')).toMatch(/^invalid configuration: GW_METADATA_BUS_URL: expected a URL/);
  });

  it('refuse a URL of the other bus, naming both variables and hiding the password', () => {
    expect(problem({ GW_BUS_TYPE: 'mqtt', GW_BUS_URL: 'redis://u:secret@redis:6379' })).toBe(
      'invalid configuration: GW_BUS_URL: GW_BUS_TYPE is mqtt: expected a URL starting mqtt:// mqtts:// tcp:// ssl:// ws:// wss://, got "redis://u:***@redis:6379"',
    );
    expect(problem({ GW_METADATA_BUS_TYPE: 'redis', GW_BUS_URL: 'mqtts://broker:8883' }, 'metadata')).toBe(
      'invalid configuration: GW_BUS_URL: GW_METADATA_BUS_TYPE is redis: expected a URL starting redis:// rediss://, got "mqtts://broker:8883"',
    );
  });

  it('refuse a broker URL with the in-process bus (a forgotten GW_BUS_TYPE), naming both variables', () => {
    expect(problem({ GW_BUS_URL: 'mqtt://u:secret@mosquitto:1883' })).toBe(
      'invalid configuration: GW_BUS_URL: GW_BUS_TYPE is memory (the default), which uses no broker: ' +
        'set GW_BUS_TYPE=mqtt or redis to use "mqtt://u:***@mosquitto:1883", or unset the URL',
    );
  });

  it.each([
    ['mqtt', 'mqtt://mosquitto:1883'],
    ['mqtt', 'mqtts://broker:8883'],
    ['mqtt', 'tcp://broker'],
    ['mqtt', 'ssl://broker'],
    ['mqtt', 'ws://broker/mqtt'],
    ['mqtt', 'wss://broker/mqtt'],
    ['redis', 'redis://redis:6379'],
    ['redis', 'rediss://u:p@redis:6380/0'],
  ])('accept %s with %s', (type, url) => {
    expect(loadConfig(Bus, { GW_BUS_TYPE: type, GW_BUS_URL: url }).busUrl).toBe(url);
  });

  it('leave the URL unset by default (the local broker)', () => {
    expect(loadConfig(Bus, { GW_BUS_TYPE: 'mqtt' }).busUrl).toBeUndefined();
  });
});
