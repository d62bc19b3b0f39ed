import { parseFailurePlan } from './failures';
import { startEgovSim } from './server';
import type { EgovSimOptions } from './types';

/**
 * CLI entry. Configuration comes from the environment only; a bad value stops
 * the boot with a message naming the variable. Data lives in memory and is
 * gone when the process stops.
 *
 *   EGOV_SIM_PORT (3100), EGOV_SIM_HOST (127.0.0.1),
 *   EGOV_SIM_CLIENT_ID (charlotte-dev), EGOV_SIM_CLIENT_SECRET (charlotte-dev-secret),
 *   EGOV_SIM_REDIRECT_URIS (comma-separated; default any loopback http URI),
 *   EGOV_SIM_ARRIVE_TO_REVIEW_MS (2000), EGOV_SIM_REVIEW_TO_FINISH_MS (5000),
 *   EGOV_SIM_FAILURES (JSON failure plan), EGOV_SIM_ADMIN (1; 0 disables /__sim/*),
 *   EGOV_SIM_REQUIRE_SIGNATURE (0; 1 makes every procedure need an XML signature)
 */
export function optionsFromEnv(env: NodeJS.ProcessEnv): EgovSimOptions {
  const int = (name: string, fallback: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) > max)
      throw new Error(`${name} must be an integer between 0 and ${max} (got ${JSON.stringify(raw)})`);
    return Number(raw);
  };
  let failures: EgovSimOptions['failures'];
  if (env.EGOV_SIM_FAILURES) {
    try {
      failures = parseFailurePlan(JSON.parse(env.EGOV_SIM_FAILURES));
    } catch (err) {
      throw new Error(`EGOV_SIM_FAILURES is not a valid failure plan: ${(err as Error).message}`);
    }
  }
  const admin = env.EGOV_SIM_ADMIN ?? '1';
  if (admin !== '0' && admin !== '1') throw new Error('EGOV_SIM_ADMIN must be 0 or 1');
  const requireSignature = env.EGOV_SIM_REQUIRE_SIGNATURE ?? '0';
  if (requireSignature !== '0' && requireSignature !== '1') throw new Error('EGOV_SIM_REQUIRE_SIGNATURE must be 0 or 1');
  const redirectUris = env.EGOV_SIM_REDIRECT_URIS?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    port: int('EGOV_SIM_PORT', 3100, 65535),
    host: env.EGOV_SIM_HOST || '127.0.0.1',
    clientId: env.EGOV_SIM_CLIENT_ID || 'charlotte-dev',
    clientSecret: env.EGOV_SIM_CLIENT_SECRET || 'charlotte-dev-secret',
    redirectUris: redirectUris && redirectUris.length > 0 ? redirectUris : undefined,
    clock: {
      arriveToReviewMs: int('EGOV_SIM_ARRIVE_TO_REVIEW_MS', 2000, 86_400_000),
      reviewToFinishMs: int('EGOV_SIM_REVIEW_TO_FINISH_MS', 5000, 86_400_000),
    },
    failures,
    admin: admin === '1',
    requireSignature: requireSignature === '1',
  };
}

async function main(): Promise<void> {
  let options: EgovSimOptions;
  try {
    options = optionsFromEnv(process.env);
  } catch (err) {
    console.error(`egov-sim: ${(err as Error).message}`);
    process.exit(1);
  }
  const sim = await startEgovSim({ ...options, log: (entry) => process.stdout.write(`${JSON.stringify(entry)}\n`) });
  process.stdout.write(
    `${JSON.stringify({
      msg: 'egov-sim listening',
      api: sim.url,
      auth: sim.authUrl,
      client_id: options.clientId,
      admin: options.admin,
      require_signature: options.requireSignature === true,
      clock: sim.state.clock,
    })}\n`,
  );
  const stop = (signal: string): void => {
    process.stdout.write(`${JSON.stringify({ msg: 'egov-sim stopping', signal })}\n`);
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error('egov-sim: failed to start', err);
    process.exit(1);
  });
}
