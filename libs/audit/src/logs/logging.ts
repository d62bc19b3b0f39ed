import * as winston from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';
import type { NextFunction, Request, Response } from 'express';
import { AppConfig, createWinstonLogger, requestContext } from '@charlotte/core';

export interface Logging {
  /** application log (and errors with their stacks) */
  app: winston.Logger;
  /** one JSON line per HTTP request */
  access: winston.Logger;
  close(): Promise<void>;
}

function dailyFile(config: AppConfig, name: string, level?: string): DailyRotateFile {
  return new DailyRotateFile({
    dirname: config.logDir,
    filename: `${name}-%DATE%.log`,
    datePattern: 'YYYY-MM-DD',
    utc: true,
    zippedArchive: true, // rotated days are gzip-compressed
    maxFiles: `${config.logRetentionDays}d`, // kept 5 years by default, then removed
    level,
    auditFile: `${config.logDir}/.${name}-rotation.json`,
    options: { mode: 0o640 },
  });
}

/**
 * Process logging: application/error log and access log, each to stdout (when
 * LOG_STDOUT) and to daily-rotated, compressed files in LOG_DIR (when LOG_FILES).
 * Lines are JSON with the request id; they never carry request bodies.
 */
export function createLogging(config: AppConfig): Logging {
  const files = config.logFiles;
  const app = createWinstonLogger({
    level: config.logLevel,
    stdout: config.logToStdout,
    extraTransports: files ? [dailyFile(config, 'app'), dailyFile(config, 'error', 'error')] : [],
  });
  const access = createWinstonLogger({
    level: 'info',
    stdout: config.logToStdout,
    extraTransports: files ? [dailyFile(config, 'access')] : [],
  });
  const close = (l: winston.Logger) =>
    new Promise<void>((resolve) => {
      l.on('finish', () => resolve());
      l.end();
      setTimeout(resolve, 1000).unref();
    });
  return { app, access, close: async () => void (await Promise.all([close(app), close(access)])) };
}

// Query parameters that may carry secrets or personal data are never logged.
const SECRET_QUERY = /^(token|code|state|password|passphrase|secret|samlresponse|relaystate|email|q)$/i;

/** The path with sensitive query values replaced, for the access log. */
export function loggablePath(originalUrl: string): string {
  const i = originalUrl.indexOf('?');
  if (i < 0) return originalUrl.replace(/\/invite\/[^/?#]+/, '/invite/[redacted]');
  const params = new URLSearchParams(originalUrl.slice(i + 1));
  for (const k of [...params.keys()]) if (SECRET_QUERY.test(k)) params.set(k, '[redacted]');
  return `${originalUrl.slice(0, i).replace(/\/invite\/[^/?#]+/, '/invite/[redacted]')}?${params.toString()}`;
}

/** One access-log line per request, written when the answer is finished (or aborted). */
export function accessLogMiddleware(access: winston.Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    // Captured now: 'finish' fires outside the request's async context. The guard
    // fills tenant and principal into this same object later.
    const ctx = requestContext.get();
    let bytes = 0;
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    const count = (chunk: unknown, encoding?: unknown) => {
      if (chunk)
        bytes += Buffer.isBuffer(chunk)
          ? chunk.length
          : Buffer.byteLength(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    };
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      count(chunk, rest[0]);
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as Response['write'];
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (typeof chunk !== 'function') count(chunk, rest[0]);
      return (end as (...a: unknown[]) => Response)(chunk, ...rest);
    }) as Response['end'];
    let logged = false;
    const log = (aborted: boolean) => {
      if (logged) return;
      logged = true;
      access.info({
        message: 'access',
        type: 'access',
        method: req.method,
        path: loggablePath(req.originalUrl),
        status: res.statusCode,
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
        bytes,
        requestId: ctx?.requestId,
        tenantId: ctx?.tenantId ?? undefined,
        principal: ctx?.principal,
        ip: req.ip,
        ...(aborted ? { aborted: true } : {}),
      });
    };
    res.on('finish', () => log(false));
    res.on('close', () => log(!res.writableFinished));
    next();
  };
}
