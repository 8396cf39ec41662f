import { Event } from '@gw/contracts';
import { compileFilters, patternProblem } from './filters';
import { FilterConfig } from './pipelines-file';

function event(deviceName: string, resources: string[] = ['Temperature'], profileName = 'Boiler-Profile', sourceName = 'Status'): Event {
  return {
    apiVersion: 'v3',
    id: 'e1',
    deviceName,
    profileName,
    sourceName,
    origin: 1,
    readings: resources.map((resourceName) => ({ origin: 1, deviceName, profileName, resourceName, valueType: 'Int16', value: '1' })),
  };
}

const include = (f: Omit<FilterConfig, 'exclude'>): FilterConfig => ({ ...f, exclude: false });
const exclude = (f: Omit<FilterConfig, 'exclude'>): FilterConfig => ({ ...f, exclude: true });
const resourcesOf = (e: Event | undefined) => e?.readings.map((r) => r.resourceName);

describe('compileFilters', () => {
  it('passes every event, unchanged, without filters', () => {
    const e = event('Boiler-1');
    expect(compileFilters([])(e)).toBe(e);
  });

  it('matches patterns against the whole name', () => {
    const keep = compileFilters([include({ device: 'Boiler' })]);
    expect(keep(event('Boiler'))).toBeDefined();
    expect(keep(event('Boiler-1'))).toBeUndefined();
    expect(keep(event('Old-Boiler'))).toBeUndefined();
    // Anchors written by the user change nothing.
    const anchored = compileFilters([include({ device: '^Boiler-.*$' })]);
    expect(anchored(event('Boiler-1'))).toBeDefined();
    expect(anchored(event('xBoiler-1'))).toBeUndefined();
  });

  it('ORs include patterns of the same field', () => {
    const keep = compileFilters([include({ device: 'Boiler-.*' }), include({ device: 'Pump-1' })]);
    expect(['Boiler-7', 'Pump-1', 'Pump-2'].map((d) => keep(event(d)) !== undefined)).toEqual([true, true, false]);
  });

  it('ANDs include patterns of different fields, whichever list item they sit in', () => {
    const separate = compileFilters([include({ device: 'Boiler-.*' }), include({ source: 'Status' })]);
    const together = compileFilters([include({ device: 'Boiler-.*', source: 'Status' })]);
    for (const keep of [separate, together]) {
      expect(keep(event('Boiler-1', ['T'], 'P', 'Status'))).toBeDefined();
      expect(keep(event('Boiler-1', ['T'], 'P', 'Diagnostics'))).toBeUndefined();
      expect(keep(event('Pump-1', ['T'], 'P', 'Status'))).toBeUndefined();
    }
  });

  it('filters on the profile', () => {
    const keep = compileFilters([include({ profile: 'Boiler-.*' })]);
    expect(keep(event('X', ['T'], 'Boiler-Profile'))).toBeDefined();
    expect(keep(event('X', ['T'], 'Pump-Profile'))).toBeUndefined();
  });

  it('lets an event-level exclude veto what includes let through', () => {
    const keep = compileFilters([include({ device: 'Boiler-.*' }), exclude({ device: 'Boiler-Test' })]);
    expect(keep(event('Boiler-1'))).toBeDefined();
    expect(keep(event('Boiler-Test'))).toBeUndefined();
  });

  it('vetoes with an exclude only what matches all of its fields', () => {
    const keep = compileFilters([exclude({ device: 'Boiler-.*', source: 'Diagnostics' })]);
    expect(keep(event('Boiler-1', ['T'], 'P', 'Diagnostics'))).toBeUndefined();
    expect(keep(event('Boiler-1', ['T'], 'P', 'Status'))).toBeDefined();
    expect(keep(event('Pump-1', ['T'], 'P', 'Diagnostics'))).toBeDefined();
  });

  it('keeps only included resources, and drops an event left without readings', () => {
    const keep = compileFilters([include({ resource: 'Temp.*' }), include({ resource: 'Pressure' })]);
    expect(resourcesOf(keep(event('B', ['Temperature', 'Fan', 'Pressure'])))).toEqual(['Temperature', 'Pressure']);
    expect(keep(event('B', ['Fan']))).toBeUndefined();
  });

  it('removes excluded resources', () => {
    const keep = compileFilters([exclude({ resource: '(Fan|Debug.*)' })]);
    expect(resourcesOf(keep(event('B', ['Temperature', 'Fan', 'DebugCounter', 'FanSpeed'])))).toEqual(['Temperature', 'FanSpeed']);
    expect(keep(event('B', ['Fan', 'Debug1']))).toBeUndefined();
  });

  it('removes resources of an exclude that also names the device only from that device`s events', () => {
    const keep = compileFilters([exclude({ device: 'Boiler-.*', resource: 'Debug.*' })]);
    expect(resourcesOf(keep(event('Boiler-1', ['Temperature', 'DebugCounter'])))).toEqual(['Temperature']);
    expect(resourcesOf(keep(event('Pump-1', ['Temperature', 'DebugCounter'])))).toEqual(['Temperature', 'DebugCounter']);
  });

  it('combines event and resource filters', () => {
    const keep = compileFilters([include({ device: 'Boiler-.*' }), include({ resource: 'Temperature|Fan' }), exclude({ resource: 'Fan' })]);
    expect(resourcesOf(keep(event('Boiler-1', ['Temperature', 'Fan', 'Pressure'])))).toEqual(['Temperature']);
    expect(keep(event('Pump-1', ['Temperature']))).toBeUndefined();
  });

  it('returns the event itself when no reading is removed, and never changes the input', () => {
    const e = event('Boiler-1', ['Temperature', 'Fan']);
    expect(compileFilters([include({ device: 'Boiler-.*' })])(e)).toBe(e);
    expect(compileFilters([exclude({ resource: 'Debug' })])(e)).toBe(e);
    const trimmed = compileFilters([exclude({ resource: 'Fan' })])(e);
    expect(trimmed).not.toBe(e);
    expect(resourcesOf(e)).toEqual(['Temperature', 'Fan']);
  });

  it('does not look at readings when no resource filter applies to the event', () => {
    const e = event('Pump-1');
    // Readings that throw when touched: only a resource filter may read them.
    Object.defineProperty(e, 'readings', {
      get() {
        throw new Error('readings were read');
      },
    });
    expect(compileFilters([include({ device: 'Pump-.*' }), exclude({ device: 'Boiler-.*', resource: 'Debug' })])(e)).toBe(e);
  });
});

describe('patternProblem', () => {
  it('reports why a pattern is invalid, without repeating the pattern', () => {
    expect(patternProblem('Boiler-.*')).toBeUndefined();
    expect(patternProblem('tok3n(')).toBe('not a valid regular expression: Unterminated group');
    expect(patternProblem('a)(b')).toMatch(/^not a valid regular expression: /);
  });
});
