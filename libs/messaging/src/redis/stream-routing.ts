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

/** One Redis Pub/Sub subscription: an exact channel, or a glob pattern. */
export interface PubSubKey {
  pattern: boolean;
  channel: string;
}

/**
 * The Pub/Sub subscriptions for an MQTT filter: the exact channel, or globs
 * that match a superset (Redis `*` also spans `/`); the compiled filter then
 * decides exactly. A trailing `/#` becomes `a/*` plus the channel `a` itself,
 * never `a*`: that would also reach `a-other/...`, and Redis's ACL, which
 * allows a PSUBSCRIBE only for a pattern it lists, could then not keep
 * device-x from reading device-x2's command requests.
 */
export function pubSubKeys(filter: string): PubSubKey[] {
  const levels = filter.split('/');
  if (!levels.some((l) => l === '+' || l === '#')) return [{ pattern: false, channel: filter }];
  const escaped = levels.map((l) => (l === '+' || l === '#' ? '*' : l.replace(/[*?[\]\\]/g, '\\$&')));
  if (levels.length === 1) return [{ pattern: true, channel: '*' }];
  if (levels[levels.length - 1] !== '#') return [{ pattern: true, channel: escaped.join('/') }];
  const below = { pattern: true, channel: escaped.join('/') };
  const parent = levels.slice(0, -1);
  // `a/+/#`: the parent's glob `a/*` already spans every level below it.
  if (parent[parent.length - 1] === '+') return [{ pattern: true, channel: escaped.slice(0, -1).join('/') }];
  const parentKey = parent.includes('+') ? { pattern: true, channel: escaped.slice(0, -1).join('/') } : { pattern: false, channel: parent.join('/') };
  return [below, parentKey];
}
