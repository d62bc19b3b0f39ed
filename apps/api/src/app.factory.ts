import * as fs from 'node:fs';
import type { ServerOptions } from 'node:https';
import * as path from 'node:path';
import { INestApplication, LoggerService, NestApplicationOptions, RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import * as express from 'express';
import helmet from 'helmet';
import { DataSource } from 'typeorm';
import { accessLogMiddleware, AuditService, createLogging, Logging } from '@charlotte/audit';
import {
  AppConfig,
  addCommonProblems,
  bodyParserProblem,
  createNestLogger,
  createValidationPipe,
  httpMetricsMiddleware,
  jsonBodyParser,
  jsonShapeProblem,
  refuseNulInUrl,
  ProblemDetailsFilter,
  ProblemView,
  problem,
  requestIdMiddleware,
  runMigrations,
  sendProblem,
} from '@charlotte/core';
import { UserNamesService } from '@charlotte/auth';
import { TenantKeysService } from '@charlotte/crypto';
import { AppModule } from './app.module';
import { HSTS_MAX_AGE_SECONDS } from './tls';

export const API_PREFIX = 'api/v1';

export interface CreateAppOptions {
  /** Process logging (app + access logs); created from the config when absent and closed with the app. */
  logging?: Logging;
  /** false: no Nest bootstrap log lines (tests, bench). */
  nestLogs?: boolean;
  schedule?: boolean;
  /** HTTPS options of the public listener (tls.ts, from TLS_CERT_FILE/TLS_KEY_FILE); absent = plain HTTP. */
  https?: ServerOptions;
}

/**
 * Builds the whole HTTP application (used by main.ts, the e2e tests and the
 * benchmark alike): security headers, body limits, request ids, validation,
 * problem+json errors, OpenAPI, the SPA, and a migrated database.
 */
export async function createApp(config: AppConfig, databaseUrl: string, opts: CreateAppOptions = {}): Promise<NestExpressApplication> {
  const logging = opts.logging ?? createLogging(config);
  const logger: LoggerService | false = opts.nestLogs === false ? false : createNestLogger(logging.app);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, databaseUrl, { schedule: opts.schedule }), {
    bodyParser: false,
    // Node's full TLS options (tls.ts); Nest's narrower type only forwards them to https.createServer.
    httpsOptions: opts.https as NestApplicationOptions['httpsOptions'],
    logger,
    abortOnError: false,
  });
  if (opts.nestLogs === false) app.useLogger(createNestLogger(logging.app));
  if (!opts.logging) {
    const close = app.close.bind(app);
    app.close = async () => {
      await close();
      await logging.close();
    };
  }
  await runMigrations(app.get(DataSource));
  // Tenants created before encryption existed get their data key now.
  await app.get(TenantKeysService).ensureAllTenants();
  // …and rows written before encryption are sealed (SQL migrations cannot reach the key provider).
  await app.get(UserNamesService).sealPlaintextNames();
  const audit = app.get(AuditService);

  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  // First, so that the histogram times every request, refused ones included.
  app.use(httpMetricsMiddleware);
  // Metrics live on their own loopback listener (METRICS_PORT), never here: without this the SPA fallback would answer 200.
  app.use('/metrics', (_req: express.Request, res: express.Response) =>
    sendProblem(res, problem(404, 'not_found', 'Not found', 'No route for this method and path.')),
  );
  app.use(requestIdMiddleware);
  app.use(accessLogMiddleware(logging.access));
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          frameAncestors: ["'none'"],
          formAction: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
        },
      },
      // HSTS only when the public address is https (over plain HTTP browsers ignore it anyway);
      // two years, Mozilla's value (tls.ts), so a first visit pins HTTPS long enough to matter.
      hsts: config.publicUrl.startsWith('https:') ? { maxAge: HSTS_MAX_AGE_SECONDS, includeSubDomains: true } : false,
    }),
  );
  app.use(cookieParser());
  // Our own JSON parser so that its errors (too large, malformed) leave as problem+json; it also
  // refuses deeply nested / huge-count bodies and escaped NULs before JSON.parse (issue 13, finding 6).
  const json = jsonBodyParser(config.bodyLimit);
  // XML bodies (IdP metadata import) as text; parsed only by the route that expects them.
  const xml = express.text({ limit: '256kb', type: ['application/xml', 'text/xml', 'application/samlmetadata+xml'] });
  // HTML forms only where a browser posts one: the SAML ACS (HTTP-POST binding).
  const form = express.urlencoded({ extended: false, limit: '512kb', parameterLimit: 10 });
  const acsPath = new RegExp(`^/${API_PREFIX}/auth/saml/[^/]+/acs$`);
  const parserFor = (req: express.Request) =>
    req.is(['application/xml', 'text/xml', 'application/samlmetadata+xml'])
      ? xml
      : req.is('application/x-www-form-urlencoded') && acsPath.test(req.path)
        ? form
        : json;
  // NUL in a path or query string never reaches a route (PostgreSQL cannot take it; see url-guard.ts).
  app.use(refuseNulInUrl);
  app.use((req: express.Request, res: express.Response, next: express.NextFunction) =>
    parserFor(req)(req, res, (err?: unknown) => {
      if (!err) return next();
      const p = jsonShapeProblem(err) ?? bodyParserProblem(err);
      if (p) return sendProblem(res, p);
      next(err);
    }),
  );
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
      { path: '.well-known/{*path}', method: RequestMethod.GET },
    ],
  });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(
    new ProblemDetailsFilter((err, req) =>
      audit.recordQuietly({
        category: 'system',
        action: 'system.error',
        outcome: 'failure',
        actor: { type: 'system' },
        details: {
          errorClass: err instanceof Error ? err.name : typeof err,
          method: req.method,
          route: (req.route as { path?: string } | undefined)?.path ?? 'unknown',
        },
      }),
    ),
  );
  setupOpenApi(app);
  serveSpa(app, config.webDistDir);
  await app.init();
  return app;
}

function setupOpenApi(app: INestApplication): void {
  const doc = addCommonProblems(
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Charlotte API')
        .setDescription(
          'e-Gov filing for Japanese labour and social-insurance procedures. Errors are application/problem+json with a stable `code`.',
        )
        .setVersion('1')
        .addCookieAuth('charlotte_session')
        .addBearerAuth()
        .build(),
      { extraModels: [ProblemView] },
    ),
  );
  SwaggerModule.setup('api/docs', app, doc, { jsonDocumentUrl: 'api/docs/openapi.json', useGlobalPrefix: false });
}

/** Serves the built SPA at / with history fallback (index.html for app routes). */
function serveSpa(app: NestExpressApplication, distDir: string): void {
  const index = path.join(distDir, 'index.html');
  const isApiPath = (p: string) => p.startsWith('/api/') || p === '/api' || p.startsWith('/health') || p.startsWith('/.well-known');
  const statics = express.static(distDir, { index: false, maxAge: '1h', fallthrough: true });
  app.use((req: express.Request, res: express.Response, next: express.NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || isApiPath(req.path)) return next();
    statics(req, res, () => {
      if (!fs.existsSync(index)) return next();
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(index);
    });
  });
}
