import type { Scenario } from '../lib/types';
import { applicationsList } from './applications';
import { attachmentScenarios } from './attachments';
import { auditScenarios } from './audit';
import { authSession } from './auth-session';
import { backupScenario } from './backup';
import { cryptoScenarios } from './crypto';
import { egovScenarios } from './egov';
import { healthLive } from './health-live';
import { loginScenarios } from './login';
import { usersList } from './users-list';

/**
 * Every scenario, measured one after another in this order. To add a row, write
 * `scenarios/<name>.ts` exporting a `Scenario` (see lib/types.ts; HTTP ones can use
 * lib/http-load.ts) and append it here.
 */
export const SCENARIOS: Scenario[] = [
  healthLive,
  authSession,
  usersList,
  ...loginScenarios,
  ...auditScenarios,
  ...cryptoScenarios,
  ...attachmentScenarios,
  ...egovScenarios,
  backupScenario,
  // Last: it adds a million rows to applications, which the rows above should not pay for.
  applicationsList,
];
