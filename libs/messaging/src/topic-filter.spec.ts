import { ErrorKind } from '@gw/contracts';
import { compileTopicFilter, validateTopic } from './topic-filter';

describe('compileTopicFilter', () => {
  const cases: Array<[string, string, boolean]> = [
    ['a/b/c', 'a/b/c', true],
    ['a/b/c', 'a/b/cd', false],
    ['a/b/c', 'a/b', false],
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a//c', true],
    ['a/+/c', 'a/b/c/d', false],
    ['a/+/c', 'a/b', false],
    ['a/+/c', 'a/b/d', false],
    ['a/+', 'a/', true],
    ['a/+', 'a', false],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['a/#', 'ab', false],
    ['a/#', 'ab/c', false],
    ['a/+/#', 'a/b', true],
    ['a/+/#', 'a/b/c/d', true],
    ['a/+/#', 'a', false],
    ['+/+', 'a/b', true],
    ['+/+', 'a/b/c', false],
    ['+', 'a', true],
    ['#', 'a/b/c', true],
    ['#', '$SYS/broker', false],
    ['+/broker', '$SYS/broker', false],
    ['$SYS/#', '$SYS/broker', true],
    ['edgex/events/device/+/+/+/#', 'edgex/events/device/svc/prof/dev/temp', true],
    ['edgex/events/device/+/+/+/#', 'edgex/events/device/svc/prof', false],
  ];
  it.each(cases)('%s vs %s -> %s', (filter, topic, expected) => {
    expect(compileTopicFilter(filter).matches(topic)).toBe(expected);
  });

  it.each(['', 'a/#/b', 'a#', 'a/b#', 'a+/b', 'a/+b'])('refuses %j with ContractInvalid', (filter) => {
    expect(() => compileTopicFilter(filter)).toThrow(expect.objectContaining({ kind: ErrorKind.ContractInvalid }));
  });

  it('refuses wildcards in a publish topic', () => {
    expect(() => validateTopic('a/+')).toThrow(expect.objectContaining({ kind: ErrorKind.ContractInvalid }));
    expect(() => validateTopic('a/b')).not.toThrow();
  });
});
