import { Topics } from '@gw/contracts';
import { parseCommandTopic } from './command-topic';

describe('core-command bus topics', () => {
  const topics = new Topics('plant7/edgex');

  it('reads device, command and method from the topic a caller publishes on', () => {
    expect(parseCommandTopic(topics, topics.coreCommandRequest('Pump-1', 'Speed', 'set'))).toEqual({
      deviceName: 'Pump-1',
      commandName: 'Speed',
      method: 'set',
    });
  });

  it('refuses topics of another shape', () => {
    for (const topic of ['plant7/edgex/core/command/request/Pump-1/Speed', 'plant7/edgex/core/command/request/Pump-1/Speed/put', 'plant7/edgex/core/command/request/a/b/get/x', 'edgex/core/command/request/a/b/get']) {
      expect(() => parseCommandTopic(topics, topic)).toThrow(/is not plant7\/edgex\/core\/command\/request\/\{device\}\/\{command\}\/\{get\|set\}/);
    }
  });
});
