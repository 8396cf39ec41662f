import { publishPacketBytes } from './packet-size';

describe('publishPacketBytes', () => {
  it('counts the fixed header, topic, packet id, empty properties and payload', () => {
    // 1 type byte + 1 length byte + (2 + 3 topic + 2 id + 1 properties + 10 payload)
    expect(publishPacketBytes('a/b', 10)).toBe(1 + 1 + 18);
  });

  it('grows the Remaining Length field at 128, 16,384 and 2,097,152 bytes', () => {
    const header = 2 + 1 + 2 + 1; // topic "t", id, properties
    expect(publishPacketBytes('t', 127 - header)).toBe(1 + 1 + 127);
    expect(publishPacketBytes('t', 128 - header)).toBe(1 + 2 + 128);
    expect(publishPacketBytes('t', 16_384 - header)).toBe(1 + 3 + 16_384);
    expect(publishPacketBytes('t', 2_097_152 - header)).toBe(1 + 4 + 2_097_152);
  });

  it('counts the topic in UTF-8 bytes', () => {
    expect(publishPacketBytes('ä', 0)).toBe(publishPacketBytes('ab', 0));
  });
});
