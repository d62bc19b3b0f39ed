import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import * as winston from 'winston';
import { createNestLogger, createWinstonLogger } from './logger';

function capture(level: string): { lines: Array<{ level: string; message: string; context?: string }>; logger: winston.Logger } {
  const lines: Array<{ level: string; message: string; context?: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const logger = createWinstonLogger({ level, stdout: false, extraTransports: [new winston.transports.Stream({ stream })] });
  return { lines, logger };
}

describe(createNestLogger.name, () => {
  afterEach(() => Logger.overrideLogger(true));

  it('keeps Nest’s route and module lines out of the info log, and shows them at debug (issue 18, bug 9)', () => {
    const info = capture('info');
    Logger.overrideLogger(createNestLogger(info.logger));
    new Logger('RouterExplorer').log('Mapped {/api/v1/applications, GET} route');
    new Logger('RoutesResolver').log('ApplicationsController {/api/v1/applications}:');
    new Logger('InstanceLoader').log('AuthModule dependencies initialized');
    new Logger('NestApplication').log('Nest application successfully started');
    new Logger('FirstStart').log('first platform operator created');
    new Logger('RouterExplorer').warn('a route warning still shows');
    expect(info.lines.map((l) => [l.level, l.context, l.message])).toEqual([
      ['info', 'NestApplication', 'Nest application successfully started'],
      ['info', 'FirstStart', 'first platform operator created'],
      ['warn', 'RouterExplorer', 'a route warning still shows'],
    ]);

    const debug = capture('debug');
    Logger.overrideLogger(createNestLogger(debug.logger));
    new Logger('RouterExplorer').log('Mapped {/api/v1/applications, GET} route');
    expect(debug.lines).toEqual([
      expect.objectContaining({ level: 'debug', context: 'RouterExplorer', message: 'Mapped {/api/v1/applications, GET} route' }),
    ]);
  });
});
