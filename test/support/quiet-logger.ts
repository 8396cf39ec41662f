import { createLogger, Logger } from '@gw/service-kit';

/** A real service logger that stays silent unless GW_TEST_LOG_LEVEL asks for output. */
export function quietLogger(name = 'test'): Logger {
  return createLogger(name, (process.env.GW_TEST_LOG_LEVEL as 'debug' | undefined) ?? 'silent');
}
