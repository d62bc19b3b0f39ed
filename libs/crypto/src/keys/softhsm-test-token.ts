import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';

/** What scripts/softhsm-init.sh prints, as an environment. */
export interface SoftHsmEnv {
  SOFTHSM2_CONF: string;
  PKCS11_LIBRARY: string;
  PKCS11_TOKEN_LABEL: string;
  PKCS11_PIN: string;
}

export interface SoftHsmToken {
  env: SoftHsmEnv;
  /** The directory holding softhsm2.conf and the token files. */
  dir: string;
  /**
   * Sets SOFTHSM2_CONF to this token's configuration where SoftHSM will read
   * it (see setNativeEnv). Call before the first provider's init().
   */
  activate(): void;
  /** Restores SOFTHSM2_CONF if activate() changed it, and removes the directory if this call created it. */
  cleanup(): void;
}

/**
 * Sets an environment variable for native code. Under jest, `process.env` is
 * a per-test-file copy (jest-util createProcessEnv): writing it never reaches
 * the C environment that libsofthsm2 reads with getenv() in C_Initialize.
 * vm.runInThisContext evaluates in the worker's main context, whose `process`
 * is Node's real one; its env setter calls setenv(). Outside jest this is the
 * same object as `process`. Test code only.
 */
export function setNativeEnv(name: string, value: string | undefined): void {
  for (const target of [process, vm.runInThisContext('process') as NodeJS.Process]) {
    if (value === undefined) delete target.env[name];
    else target.env[name] = value;
  }
}

const INIT_SCRIPT = path.resolve(__dirname, '../../../../scripts/softhsm-init.sh');

/**
 * Test helper (not exported from the lib): a fresh SoftHSM token in a
 * temporary directory, through scripts/softhsm-init.sh so the script is what
 * the tests exercise. Pass `dir` of an earlier token to add a second token to
 * the same SOFTHSM2_CONF: SoftHSM reads its configuration once, in
 * C_Initialize, so every token a test process uses must be created, and
 * activate() called, before the first provider is initialised.
 *
 * Needs Debian's softhsm2 (scripts/setup-system.sh), not root.
 */
export function createSoftHsmToken(options: { dir?: string; label?: string; pin?: string } = {}): SoftHsmToken {
  const owned = !options.dir;
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'charlotte-softhsm-'));
  const label = options.label ?? 'charlotte-test';
  let stdout: string;
  try {
    stdout = execFileSync('bash', [INIT_SCRIPT, dir, label], {
      encoding: 'utf8',
      env: { ...process.env, ...(options.pin ? { PKCS11_PIN: options.pin } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    if (owned) fs.rmSync(dir, { recursive: true, force: true });
    const stderr = (e as { stderr?: string }).stderr ?? '';
    throw new Error(`scripts/softhsm-init.sh failed: ${stderr.trim() || (e as Error).message}`, { cause: e });
  }
  const env: Partial<SoftHsmEnv> = {};
  for (const line of stdout.split('\n')) {
    const m = /^export (SOFTHSM2_CONF|PKCS11_LIBRARY|PKCS11_TOKEN_LABEL|PKCS11_PIN)='([^']*)'$/.exec(line);
    if (m) env[m[1] as keyof SoftHsmEnv] = m[2];
  }
  if (!env.SOFTHSM2_CONF || !env.PKCS11_LIBRARY || !env.PKCS11_TOKEN_LABEL || !env.PKCS11_PIN) {
    throw new Error(`scripts/softhsm-init.sh printed an incomplete environment:\n${stdout}`);
  }
  let previousConf: { value: string | undefined } | undefined;
  return {
    env: env as SoftHsmEnv,
    dir,
    activate: () => {
      previousConf ??= { value: (vm.runInThisContext('process') as NodeJS.Process).env.SOFTHSM2_CONF };
      setNativeEnv('SOFTHSM2_CONF', env.SOFTHSM2_CONF);
    },
    cleanup: () => {
      if (previousConf) setNativeEnv('SOFTHSM2_CONF', previousConf.value);
      if (owned) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
