import { ErrorKind, GatewayError, Topics } from '@gw/contracts';
import type { CommandMethod } from '../domain/query-params';

export interface CommandAddress {
  deviceName: string;
  commandName: string;
  method: CommandMethod;
}

/** `{base}/core/command/request/{device}/{command}/{get|set}` back into its parts. */
export function parseCommandTopic(topics: Topics, topic: string): CommandAddress {
  const prefix = topics.join('core', 'command', 'request') + '/';
  const levels = topic.startsWith(prefix) ? topic.slice(prefix.length).split('/') : [];
  const [deviceName, commandName, method] = levels;
  if (levels.length !== 3 || !deviceName || !commandName || (method !== 'get' && method !== 'set')) {
    throw new GatewayError(
      ErrorKind.ContractInvalid,
      `command topic "${topic}" is not ${prefix}{device}/{command}/{get|set}`,
    );
  }
  return { deviceName, commandName, method };
}
