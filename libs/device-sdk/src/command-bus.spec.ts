import { commandFlags } from './command-flags';
import { parseCommandTopic } from './command-bus';

describe('parseCommandTopic', () => {
  it('reads device, command and method from the end, whatever the topic base', () => {
    expect(parseCommandTopic('edgex/device/command/request/svc/Pump-1/Speed/get')).toEqual({ deviceName: 'Pump-1', commandName: 'Speed', method: 'get' });
    expect(parseCommandTopic('site/a/device/command/request/svc/D/C/set')).toEqual({ deviceName: 'D', commandName: 'C', method: 'set' });
    expect(parseCommandTopic('edgex/device/command/request/svc/D/C/delete')).toBeUndefined();
  });
});

describe('commandFlags', () => {
  it("defaults to EdgeX's: no push, return the event", () => {
    expect(commandFlags(undefined)).toEqual({ pushEvent: false, returnEvent: true });
    expect(commandFlags({ 'ds-pushevent': 'true', 'ds-returnevent': 'FALSE' })).toEqual({ pushEvent: true, returnEvent: false });
  });

  it('refuses anything but true or false', () => {
    expect(() => commandFlags({ 'ds-pushevent': 'yes' })).toThrow(/ds-pushevent must be "true" or "false"/);
  });
});
