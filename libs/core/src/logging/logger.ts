import * as winston from 'winston';
import { WinstonLogger } from 'nest-winston';
import type { LoggerService } from '@nestjs/common';
import { requestContext } from '../http/request-context';

/** Adds the request id and principal of the current request to every line. */
const contextFormat = winston.format((info) => {
  const ctx = requestContext.get();
  if (ctx) {
    info.requestId = ctx.requestId;
    if (ctx.tenantId) info.tenantId = ctx.tenantId;
    if (ctx.principal) info.principal = ctx.principal;
  }
  return info;
});

export interface LoggerOptions {
  level: string;
  stdout: boolean;
  extraTransports?: winston.transport[];
}

/** The process-wide winston logger: JSON lines with timestamp and request id. */
export function createWinstonLogger(opts: LoggerOptions): winston.Logger {
  const transports: winston.transport[] = [...(opts.extraTransports ?? [])];
  if (opts.stdout || transports.length === 0) {
    transports.push(new winston.transports.Console({ silent: !opts.stdout }));
  }
  return winston.createLogger({
    level: opts.level,
    format: winston.format.combine(
      contextFormat(),
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      winston.format.json(),
    ),
    transports,
  });
}

/**
 * Nest's bootstrap chatter: one line per module (InstanceLoader), per controller (RoutesResolver) and
 * per route (RouterExplorer), about 140 lines on every start, which buried the first-start setup
 * banner (issue 18, bug 9). They say nothing an operator acts on; LOG_LEVEL=debug shows them again.
 */
export const NEST_BOOT_DETAIL_CONTEXTS: ReadonlySet<string> = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** nest-winston's logger with Nest's bootstrap chatter demoted from info to debug. */
class NestWinstonLogger extends WinstonLogger {
  override log(message: unknown, context?: string): unknown {
    if (context && NEST_BOOT_DETAIL_CONTEXTS.has(context)) return this.debug?.(message, context);
    return super.log(message, context);
  }
}

/** Nest's LoggerService backed by the winston logger. */
export function createNestLogger(logger: winston.Logger): LoggerService {
  return new NestWinstonLogger(logger);
}
