import * as winston from 'winston';
import { WinstonModule } from 'nest-winston';
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

/** Nest's LoggerService backed by the winston logger. */
export function createNestLogger(logger: winston.Logger): LoggerService {
  return WinstonModule.createLogger({ instance: logger });
}
