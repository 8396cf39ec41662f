import { SseParser } from './sse-parser';

describe('SseParser', () => {
  it('joins the data lines of each event, ignoring comments and other fields', () => {
    const parser = new SseParser();
    expect(parser.push(': hello\n\nevent: x\ndata: {"a":\ndata: 1}\nid: 7\n\ndata: 2\n')).toEqual(['{"a":\n1}']);
    expect(parser.push('\n')).toEqual(['2']);
  });

  it('accepts CRLF and CR line ends, also split between chunks', () => {
    const parser = new SseParser();
    expect(parser.push('data: 1\r\n\r\ndata: 2\r')).toEqual(['1']);
    expect(parser.push('\n\r')).toEqual([]);
    expect(parser.push('\ndata: 3\r\r')).toEqual(['2']); // the last CR may be half a CRLF
    expect(parser.push('data: 4\n\n')).toEqual(['3', '4']);
  });

  it('skips an event longer than the limit and counts it, keeping the ones after it', () => {
    const parser = new SseParser(16);
    expect(parser.push('data: ' + 'x'.repeat(20))).toEqual([]);
    expect(parser.push('y'.repeat(40) + '\n')).toEqual([]);
    expect(parser.push('\ndata: ok\n\n')).toEqual(['ok']);
    expect(parser.oversized).toBe(1);
  });
});
