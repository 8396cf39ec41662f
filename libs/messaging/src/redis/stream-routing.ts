import { ErrorKind, GatewayError } from '@gw/contracts';
import { compileTopicFilter, TopicFilter } from '../topic-filter';

/**
 * Which topics also go to a Redis stream, and which stream. A stream per first
 * two topic levels (`edgex/events`) keeps related events in one ordered log,
 * lets one consumer group serve any filter below it (the topic travels as a
 * field and is matched in-process), and keeps the key set small and known.
 */
export class StreamRouting {
  private readonly filters: TopicFilter[];

  constructor(
    streamTopics: readonly string[],
    private readonly keyPrefix: string,
  ) {
    this.filters = streamTopics.map(compileTopicFilter);
  }

  /** The stream a published topic is appended to, or undefined for Pub/Sub only. */
  keyForTopic(topic: string): string | undefined {
    if (!this.filters.some((f) => f.matches(topic))) return undefined;
    const second = topic.indexOf('/', topic.indexOf('/') + 1);
    return this.key(second === -1 ? topic : topic.slice(0, second));
  }

  /** The stream a durable subscription reads; refuses filters no single stream can serve. */
  keyForDurableFilter(filter: string): string {
    const levels = filter.split('/');
    const head = levels.slice(0, 2);
    if (head.some((l) => l === '+' || l === '#')) {
      throw new GatewayError(
        ErrorKind.ContractInvalid,
        `durable Redis subscription "${filter}": the first two topic levels must be literal (they name the stream)`,
      );
    }
    if (!this.filters.some((s) => covers(s.filter.split('/'), levels))) {
      throw new GatewayError(
        ErrorKind.ContractInvalid,
        `durable Redis subscription "${filter}" is not covered by the stream topics (${this.filters.map((f) => f.filter).join(', ')}); ` +
          'only topics written to a stream can be delivered durably',
      );
    }
    return this.key(head.join('/'));
  }

  private key(head: string): string {
    return `${this.keyPrefix}stream:${head}`;
  }
}

/** True when every topic matching filter `f` also matches filter `s`. */
export function covers(s: readonly string[], f: readonly string[]): boolean {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '#') return true;
    if (i >= f.length || f[i] === '#') return false;
    if (s[i] === '+') continue;
    if (f[i] === '+' || f[i] !== s[i]) return false;
  }
  return f.length === s.length;
}

/**
 * The Pub/Sub subscription for an MQTT filter: the exact channel, or a glob
 * that matches a superset (Redis `*` also spans `/`); the compiled filter then
 * decides exactly.
 */
export function pubSubKey(filter: string): { pattern: boolean; channel: string } {
  const levels = filter.split('/');
  if (!levels.some((l) => l === '+' || l === '#')) return { pattern: false, channel: filter };
  const escaped = levels.map((l) => (l === '+' || l === '#' ? '*' : l.replace(/[*?[\]\\]/g, '\\$&')));
  // `a/#` must also match `a` itself, hence `a*` rather than `a/*`.
  if (levels[levels.length - 1] === '#') {
    escaped.pop();
    return { pattern: true, channel: escaped.length ? `${escaped.join('/')}*` : '*' };
  }
  return { pattern: true, channel: escaped.join('/') };
}
