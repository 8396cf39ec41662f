// Who may publish and subscribe to what on the message bus, written once and
// rendered for Mosquitto's dynamic security plugin and as Redis ACL users
// (bin/init-secrets.js writes both). Filters are MQTT filters below the topic
// base (`edgex`); `{user}` is the user's own name: a device service added to
// the users gets the same rights for its own topics.
'use strict';

/**
 * The filters each bus user publishes to and subscribes with, exactly as the
 * services use them (Redis compares a PSUBSCRIBE pattern literally with the
 * ACL, so a subscription filter here must be the one the code subscribes with).
 * `durable`: its event subscriptions are durable, read from the Redis event
 * stream through a consumer group rather than Pub/Sub. `ownClientId`: the
 * user connects as one MQTT client named after it (a service's bus, the
 * operator's `-i operator`), so it may connect with that client id only and
 * cannot take over another client's session. core-data and the app service
 * are not bound: their bus is two clients (`<service>` and
 * `durable-<durableName>`), and the dynamic security plugin binds one client
 * id per user; README ("The bus") says what that leaves open.
 */
const ROLES = {
  // Publishes system events (device, profile, service, watcher changes).
  'core-metadata': { publish: ['system-events/core-metadata/#'], subscribe: [], ownClientId: true },
  // Stores every device event; keeps its view of the devices from their system events;
  // publishes the events it takes over REST, once stored, as EdgeX's core-data does.
  'core-data': { publish: ['events/core/#'], subscribe: ['events/device/#', 'system-events/core-metadata/device/#'], durable: true },
  // Sends command requests to device services and answers its own bus API
  // (core/command/request/...: nobody but the operator sends there).
  'core-command': {
    publish: ['device/command/request/#', 'response/core-command/#'],
    subscribe: ['core/command/request/#', 'response/#'],
    ownClientId: true,
  },
  // Reads events only; desired state goes to devices through core-command's REST API.
  // `exports`: the shipped pipelines' MQTT sink (deploy/app-service/pipelines.yaml)
  // publishes what it exports to this broker as this user, outside the topic base
  // (MQTT only: no sink writes to Redis, so the Redis ACL gets none of it).
  'app-service': { publish: [], exports: ['gateway/export/#'], subscribe: ['events/#'], durable: true },
  // The web console: follows device events for its live readings (not durably:
  // a browser wants what happens now); everything else goes through the REST APIs.
  console: { publish: [], subscribe: ['events/device/#'], ownClientId: true },
  // Every other service user is a device service: its own events and answers
  // out, the command requests addressed to it and the system events it follows in.
  device: {
    publish: ['events/device/{user}/#', 'response/{user}/#'],
    subscribe: [
      'device/command/request/{user}/#',
      'system-events/core-metadata/+/+/{user}/#',
      'system-events/core-metadata/deviceprofile/#',
      // A device moved to another service is announced to its new owner only.
      'system-events/core-metadata/device/update/#',
    ],
    ownClientId: true,
  },
  // A person troubleshooting or using core-command's bus API: reads everything,
  // sends commands only through core-command (which applies locks and checks).
  // One connection at a time, client id `operator` (mosquitto_rr sends a
  // request and reads its answer on one).
  operator: { publish: ['core/command/request/#'], subscribe: ['#'], ownClientId: true },
};

/** The broker healthcheck (compose): reads the broker's uptime, as client `healthcheck`. */
const HEALTHCHECK_ROLE = { publish: [], subscribe: [], ownClientId: true };

const CORE_SERVICES = ['core-metadata', 'core-data', 'core-command', 'app-service', 'console'];
/** Users that are not services. */
const OPERATOR = 'operator';
const HEALTHCHECK = 'healthcheck';

const roleOf = (user) => (CORE_SERVICES.includes(user) || user === OPERATOR ? ROLES[user] : ROLES.device);

const topic = (base, filter) => `${base}/${filter}`;
const isEvents = (filter) => filter.split('/')[0] === 'events';

/**
 * Mosquitto's dynamic security plugin configuration (its acl_file checks no
 * subscription and lets any user take over any client id's session; this
 * plugin checks subscriptions and binds each `ownClientId` user to its client
 * id). `credentials` maps each user to its password hash
 * ({ password, salt, iterations }, see mosquittoHash in bin/init-secrets.js).
 * The plugin changes this file only when told to over $CONTROL, which no user may.
 */
function mosquittoSecurity(users, base, credentials) {
  const acl = (acltype, topicName) => ({ acltype, topic: topicName, allow: true });
  const reading = (topicName) => [acl('subscribePattern', topicName), acl('publishClientReceive', topicName)];
  const roles = [];
  const clients = [];
  for (const user of [...users, HEALTHCHECK]) {
    const role = user === HEALTHCHECK ? HEALTHCHECK_ROLE : roleOf(user);
    const mine = (filter) => topic(base, filter).replace('{user}', user);
    const acls = [
      ...role.publish.map((f) => acl('publishClientSend', mine(f))),
      ...(role.exports ?? []).map((filter) => acl('publishClientSend', filter)),
      ...role.subscribe.flatMap((f) => reading(mine(f))),
    ];
    // The operator reads what the app service exports to this broker too.
    if (user === OPERATOR) acls.push(...reading('$SYS/#'), ...ROLES['app-service'].exports.flatMap(reading));
    if (user === HEALTHCHECK) acls.push(...reading('$SYS/broker/uptime'));
    roles.push({ rolename: user, acls });
    clients.push({ username: user, ...(role.ownClientId ? { clientid: user } : {}), ...credentials[user], roles: [{ rolename: user }] });
  }
  const defaultACLAccess = { publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: true };
  return `${JSON.stringify({ defaultACLAccess, clients, roles, groups: [] }, null, 2)}\n`;
}

const globLevel = (level) => (level === '+' || level === '#' ? '*' : level.replace(/[*?[\]\\]/g, '\\$&'));

/**
 * The Redis channels and patterns the Redis bus subscribes to for an MQTT
 * filter (libs/messaging/src/redis/stream-routing.ts, pubSubKeys; a test keeps
 * the two equal): `+` becomes `*`; a trailing `/#` becomes `a/*` plus the
 * channel `a` itself (never `a*`, which would also be `a-other/...`), or only
 * the parent's glob when that already ends in `*`. Redis allows a PSUBSCRIBE
 * only when its pattern literally equals one in the ACL.
 */
function subscribePatterns(base, filter) {
  const levels = topic(base, filter).split('/');
  const globbed = levels.map(globLevel);
  if (!levels.includes('+') && !levels.includes('#')) return [levels.join('/')];
  if (levels[levels.length - 1] !== '#') return [globbed.join('/')];
  const parent = levels.slice(0, -1);
  if (parent[parent.length - 1] === '+') return [globbed.slice(0, -1).join('/')];
  return [globbed.join('/'), parent.includes('+') ? globbed.slice(0, -1).join('/') : parent.join('/')];
}

/** The channels below an MQTT filter, as a glob for PUBLISH: `a/#` is `a/*`, never `a*` (which is also `a-other/...`). */
function publishPattern(base, filter) {
  return topic(base, filter).split('/').map(globLevel).join('/');
}

/**
 * What every service connection sends when it connects (node-redis also sends
 * CLIENT SETINFO, which Redis 7.0 lacks and which it ignores when refused).
 */
const HANDSHAKE = '+client|setname +ping';
const SUBSCRIBING = '+subscribe +psubscribe +unsubscribe +punsubscribe';

/**
 * One `user` line per bus user for Redis's aclfile; `hashes` maps each user to
 * the SHA-256 (hex) of its password. The bus keeps events in one stream
 * (`<prefix>stream:<base>/events`), durable subscribers in `<prefix>durables`.
 * PUBLISH and SUBSCRIBE rights differ, so subscriptions go in a selector
 * (parenthesised: its channels are allowed to its commands only).
 */
function redisAcl(users, hashes, base, keyPrefix) {
  const stream = `${keyPrefix}stream:${base}/events`;
  const lines = ['user default off resetpass resetkeys resetchannels -@all'];
  for (const user of users) {
    const role = roleOf(user);
    const parts = [`user ${user} on #${hashes[user]} resetkeys resetchannels -@all ${HANDSHAKE}`];
    const mine = (filters) => filters.map((f) => f.replace('{user}', user));
    const publish = mine(role.publish);
    if (user === OPERATOR) {
      parts.push('allkeys allchannels +@read +@pubsub -publish -spublish +info');
    } else if (publish.length) {
      parts.push('+publish', ...publish.map((f) => `&${publishPattern(base, f)}`));
      if (publish.some(isEvents)) parts.push(`+xadd %W~${stream}`);
    }
    let subscribe = mine(role.subscribe);
    if (role.durable) {
      parts.push(`+xgroup|create +xgroup|destroy +xreadgroup +xack ~${stream} +hget +hset +hdel ~${keyPrefix}durables +multi +exec +discard`);
      subscribe = subscribe.filter((f) => !isEvents(f));
    }
    if (user === OPERATOR) parts.push(`(+publish ${publish.map((f) => `&${publishPattern(base, f)}`).join(' ')})`);
    else if (subscribe.length) {
      parts.push(`(${SUBSCRIBING} ${subscribe.flatMap((f) => subscribePatterns(base, f)).map((p) => `&${p}`).join(' ')})`);
    }
    lines.push(parts.join(' '));
  }
  lines.push(`user ${HEALTHCHECK} on #${hashes[HEALTHCHECK]} resetkeys resetchannels -@all +ping`, '');
  return lines.join('\n');
}

module.exports = { OPERATOR, HEALTHCHECK, ROLES, mosquittoSecurity, redisAcl, subscribePatterns };
