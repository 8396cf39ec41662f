#!/usr/bin/env node
// The compose deployment's secrets, made once by the `secrets-init` service
// before anything else starts, into the `secrets` volume; later runs keep what
// exists and rewrite only what is derived from it. Node only, no packages.
//
//   node bin/init-secrets.js [--dir <dir>] [--rotate <what>]...
//     <what>: api-key | postgres | bus (every broker user) | <user> | all
//
// Settings (environment):
//   GW_SECRETS_SERVICES  bus users and the group each service's container joins
//                        (group_add in docker-compose.yml): "name:gid name:gid ...";
//                        core-metadata, core-data, core-command, app-service,
//                        console, any other name is a device service
//   GW_API_KEY, GW_POSTGRES_PASSWORD  used instead of generated values when set
//   GW_TOPIC_BASE        first topic level (edgex)
//   GW_SECRETS_MOSQUITTO_OWNER, _REDIS_OWNER, _POSTGRES_OWNER  uid:gid the
//                        broker and database processes run as (compose's images:
//                        1883:1883, 999:1000, 70:70)
//
// Layout (files 0440 root:<group> unless said): api-key (group 20000, every
// gateway service), bus/<user>.password and database/<service>.url (that
// service's group), postgres/password, mosquitto/{dynamic-security.json,healthcheck.password,
// mosquitto_sub (the healthcheck's client options)},
// redis/{users.acl,healthcheck.password} (0400, owned by the process that
// reads them), operator.password (root only).
'use strict';
const { createHash, pbkdf2Sync, randomBytes, timingSafeEqual } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { OPERATOR, HEALTHCHECK, mosquittoSecurity, redisAcl } = require('./broker-acl');

const DEFAULT_SERVICES =
  'core-metadata:20001 core-data:20002 core-command:20003 app-service:20004 console:20005 device-virtual:20010 device-modbus:20011 device-opcua:20012 device-ble:20013 device-zigbee:20014';
/** The group of every gateway service container: it may read the API key. */
const API_KEY_GID = 20000;
/** The services that keep data in PostgreSQL, and their schema (compose's database and role are `gateway`). */
const DATABASES = { 'core-metadata': 'metadata', 'core-data': 'core_data' };
const KEY_PREFIX = 'gw:';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const EX_CONFIG = 78;

class ConfigError extends Error {}

function parseArgs(argv) {
  const options = { dir: '/run/secrets/gateway', rotate: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (argv[i] === '--dir' && value) options.dir = argv[++i];
    else if (argv[i] === '--rotate' && value) options.rotate.add(argv[++i]);
    else throw new ConfigError(`unknown argument "${argv[i]}": expected --dir <dir> or --rotate <what>`);
  }
  return options;
}

function parseServices(text) {
  const services = new Map();
  for (const entry of text.trim().split(/[\s,]+/)) {
    const [name, gid] = entry.split(':');
    if (!NAME.test(name ?? '') || !/^\d+$/.test(gid ?? '') || name === OPERATOR || name === HEALTHCHECK) {
      throw new ConfigError(`GW_SECRETS_SERVICES: expected "name:gid ..." with names of letters, digits . _ -, got "${entry}"`);
    }
    services.set(name, Number(gid));
  }
  return services;
}

function parseOwner(env, name, fallback) {
  const text = env[name] || fallback;
  const match = /^(\d+):(\d+)$/.exec(text);
  if (!match) throw new ConfigError(`${name}: expected uid:gid, got "${text}"`);
  return { uid: Number(match[1]), gid: Number(match[2]) };
}

const newSecret = () => randomBytes(32).toString('base64url');

/** Mosquitto's password hash (as mosquitto_passwd and its dynamic security plugin make it): PBKDF2-SHA512, 12-byte salt. */
function mosquittoHash(password, salt = randomBytes(12), iterations = 101) {
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return { password: hash.toString('base64'), salt: salt.toString('base64'), iterations };
}

function mosquittoHashMatches(stored, password) {
  if (!stored || typeof stored.password !== 'string' || typeof stored.salt !== 'string' || !(stored.iterations >= 1)) return false;
  const expected = Buffer.from(stored.password, 'base64');
  const actual = pbkdf2Sync(password, Buffer.from(stored.salt, 'base64'), stored.iterations, 64, 'sha512');
  return expected.length === 64 && timingSafeEqual(actual, expected);
}

/** The hashes in an existing dynamic security file, by user (none when it is missing or unreadable). */
function storedHashes(text) {
  try {
    return new Map(JSON.parse(text ?? '{"clients":[]}').clients.map((c) => [c.username, c]));
  } catch {
    return new Map();
  }
}

class SecretsDir {
  constructor(dir) {
    this.dir = dir;
    this.root = typeof process.getuid === 'function' && process.getuid() === 0;
    this.report = [];
  }

  /** Every process that reads a file here must be able to reach it: directories are 0755 whatever the umask. */
  directory(dir) {
    fs.mkdirSync(dir, { recursive: true });
    if ((fs.statSync(dir).mode & 0o777) !== 0o755) fs.chmodSync(dir, 0o755);
  }

  read(file) {
    try {
      return fs.readFileSync(path.join(this.dir, file), 'utf8');
    } catch (err) {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Writes atomically (temp file, then rename) when the content or access differ; ownership only when run as root. */
  write(file, content, { uid = 0, gid = 0, mode = 0o440 } = {}, what = 'written') {
    const target = path.join(this.dir, file);
    this.directory(path.dirname(target));
    const current = this.read(file);
    const stat = current === undefined ? undefined : fs.statSync(target);
    const owned = !this.root || (stat && stat.uid === uid && stat.gid === gid);
    if (current === content && owned && (stat.mode & 0o777) === mode) return;
    const temp = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(temp, content, { mode: 0o600 });
    if (this.root) fs.chownSync(temp, uid, gid);
    fs.chmodSync(temp, mode);
    fs.renameSync(temp, target);
    this.report.push(`${file}: ${current === undefined ? 'created' : current === content ? 'access set' : what}`);
  }

  /** A secret: `given` (from the environment) when set, else the stored one, else a new one. */
  secret(file, access, { given, rotate }) {
    const stored = this.read(file);
    const value = given || (rotate ? undefined : stored) || newSecret();
    this.write(file, value, access, given ? 'set from the environment' : 'rotated');
    return value;
  }
}

function run(argv, env) {
  const options = parseArgs(argv);
  const services = parseServices(env.GW_SECRETS_SERVICES || DEFAULT_SERVICES);
  const base = env.GW_TOPIC_BASE || 'edgex';
  if (!/^[^\s+#/]+$/.test(base)) throw new ConfigError(`GW_TOPIC_BASE: expected one topic level without + # or spaces, got "${base}"`);
  const owners = {
    mosquitto: parseOwner(env, 'GW_SECRETS_MOSQUITTO_OWNER', '1883:1883'),
    redis: parseOwner(env, 'GW_SECRETS_REDIS_OWNER', '999:1000'),
    postgres: parseOwner(env, 'GW_SECRETS_POSTGRES_OWNER', '70:70'),
  };
  const busUsers = [...services.keys(), OPERATOR];
  const known = new Set(['all', 'api-key', 'postgres', 'bus', ...busUsers]);
  for (const what of options.rotate) {
    if (!known.has(what)) throw new ConfigError(`--rotate ${what}: expected one of ${[...known].join(', ')}`);
  }
  const rotating = (what, group) => options.rotate.has(what) || options.rotate.has('all') || (group && options.rotate.has(group));
  for (const [what, variable] of [['api-key', 'GW_API_KEY'], ['postgres', 'GW_POSTGRES_PASSWORD']]) {
    if (env[variable] && options.rotate.has(what)) throw new ConfigError(`--rotate ${what}: ${variable} is set; change it there instead`);
  }

  const secrets = new SecretsDir(options.dir);
  secrets.directory(options.dir);
  secrets.secret('api-key', { gid: API_KEY_GID }, { given: env.GW_API_KEY, rotate: rotating('api-key') });

  const pgOwner = { ...owners.postgres, mode: 0o400 };
  const pgPassword = secrets.secret('postgres/password', pgOwner, { given: env.GW_POSTGRES_PASSWORD, rotate: rotating('postgres') });
  for (const [service, schema] of Object.entries(DATABASES)) {
    if (!services.has(service)) continue;
    const url = `postgres://gateway:${encodeURIComponent(pgPassword)}@postgres:5432/gateway?schema=${schema}`;
    secrets.write(`database/${service}.url`, url, { gid: services.get(service) });
  }

  const passwords = {};
  for (const user of busUsers) {
    const access = user === OPERATOR ? { mode: 0o400 } : { gid: services.get(user) };
    const file = user === OPERATOR ? 'operator.password' : `bus/${user}.password`;
    passwords[user] = secrets.secret(file, access, { rotate: rotating(user, 'bus') });
  }
  const mosquitto = { ...owners.mosquitto, mode: 0o400 };
  const redis = { ...owners.redis, mode: 0o400 };
  const health = {
    mosquitto: secrets.secret('mosquitto/healthcheck.password', mosquitto, { rotate: rotating('bus') }),
    redis: secrets.secret('redis/healthcheck.password', redis, { rotate: rotating('bus') }),
  };

  // A user keeps its hash while it still matches the password: the file changes only when a password does.
  const previous = storedHashes(secrets.read('mosquitto/dynamic-security.json'));
  const credentials = {};
  for (const [user, password] of Object.entries({ ...passwords, [HEALTHCHECK]: health.mosquitto })) {
    const kept = previous.get(user);
    credentials[user] = mosquittoHashMatches(kept, password)
      ? { password: kept.password, salt: kept.salt, iterations: kept.iterations }
      : mosquittoHash(password);
  }
  secrets.write('mosquitto/dynamic-security.json', mosquittoSecurity(busUsers, base, credentials), mosquitto, 'updated');
  // The healthcheck's options for mosquitto_sub (read from $XDG_CONFIG_HOME/mosquitto_sub):
  // its password never appears on a command line, where `ps` would show it.
  const subOptions = `-u ${HEALTHCHECK}\n-i ${HEALTHCHECK}\n-P ${health.mosquitto}\n`;
  secrets.write('mosquitto/mosquitto_sub', subOptions, mosquitto, 'updated');

  const sha256 = (text) => createHash('sha256').update(text).digest('hex');
  const hashes = Object.fromEntries(Object.entries({ ...passwords, [HEALTHCHECK]: health.redis }).map(([u, p]) => [u, sha256(p)]));
  secrets.write('redis/users.acl', redisAcl(busUsers, hashes, base, KEY_PREFIX), redis, 'updated');
  return secrets.report;
}

try {
  const report = run(process.argv.slice(2), process.env);
  process.stdout.write(report.length ? `secrets: ${report.join('; ')}\n` : 'secrets: all present, nothing changed\n');
} catch (err) {
  process.stderr.write(`init-secrets: ${err.message}\n`);
  process.exit(err instanceof ConfigError ? EX_CONFIG : 1);
}
