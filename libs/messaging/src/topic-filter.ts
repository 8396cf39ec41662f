import { ErrorKind, GatewayError } from '@gw/contracts';

/**
 * An MQTT topic filter compiled once per subscription. Routing calls `matches`
 * for every message and every subscription, so the common shapes (exact topic,
 * `prefix/#`) get a string comparison and the rest a level walk; nothing is
 * built per message.
 */
export interface TopicFilter {
  readonly filter: string;
  readonly hasWildcards: boolean;
  matches(topic: string): boolean;
}

export function compileTopicFilter(filter: string): TopicFilter {
  validateFilter(filter);
  const levels = filter.split('/');
  const hasWildcards = levels.some((l) => l === '+' || l === '#');
  // MQTT 4.7.2: a filter starting with a wildcard does not match `$SYS/...`-style topics.
  const guardDollar = levels[0] === '+' || levels[0] === '#';

  let matches: (topic: string) => boolean;
  if (!hasWildcards) {
    matches = (topic) => topic === filter;
  } else if (filter === '#') {
    matches = () => true;
  } else if (levels.indexOf('+') === -1) {
    // `a/b/#` matches `a/b` itself and everything below it.
    const parent = filter.slice(0, -2);
    const prefix = filter.slice(0, -1);
    matches = (topic) => topic === parent || topic.startsWith(prefix);
  } else {
    matches = (topic) => matchLevels(levels, topic);
  }

  return {
    filter,
    hasWildcards,
    matches: guardDollar ? (topic) => topic.charCodeAt(0) !== 36 /* $ */ && matches(topic) : matches,
  };
}

function matchLevels(levels: readonly string[], topic: string): boolean {
  let start = 0;
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level === '#') return true;
    if (start > topic.length) {
      // The topic ran out of levels; only `x/#` may still match its parent `x`.
      return false;
    }
    let end = topic.indexOf('/', start);
    if (end === -1) end = topic.length;
    if (level !== '+' && (end - start !== level.length || !topic.startsWith(level, start))) return false;
    start = end + 1;
    if (i + 1 < levels.length && levels[i + 1] === '#' && start > topic.length) return true;
  }
  return start > topic.length;
}

/** Throws ContractInvalid unless `filter` is a valid MQTT subscription filter. */
export function validateFilter(filter: string): void {
  if (typeof filter !== 'string' || filter.length === 0) throw invalid(filter, 'must not be empty');
  if (filter.includes('\u0000')) throw invalid(filter, 'must not contain NUL');
  const levels = filter.split('/');
  levels.forEach((level, i) => {
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      throw invalid(filter, '`#` must be a whole level and the last one');
    }
    if (level.includes('+') && level !== '+') throw invalid(filter, '`+` must be a whole level');
  });
}

/** Throws ContractInvalid unless `topic` is a valid topic to publish on (no wildcards). */
export function validateTopic(topic: string): void {
  if (typeof topic !== 'string' || topic.length === 0) {
    throw new GatewayError(ErrorKind.ContractInvalid, 'topic must not be empty');
  }
  if (topic.includes('+') || topic.includes('#') || topic.includes('\u0000')) {
    throw new GatewayError(ErrorKind.ContractInvalid, `topic "${topic}" must not contain wildcards or NUL`);
  }
}

function invalid(filter: string, why: string): GatewayError {
  return new GatewayError(ErrorKind.ContractInvalid, `topic filter "${filter}" is invalid: ${why}`);
}
