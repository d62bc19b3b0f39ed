/**
 * Backups, contract end and deletion (docs/api.md, "Backups, contract end,
 * deletion"): the shapes and calls of the tenant admin's バックアップ page and
 * of the platform operators' console.
 *
 * These interfaces are written by hand until the server's OpenAPI document
 * describes these paths; then they become aliases of `components['schemas']`
 * in ./client.ts like the others (this is the one place to change). Every
 * call goes through {@link ApiClient.request} (session cookie, CSRF token,
 * problem+json → ApiError), except the certificate download, which needs
 * another Accept header and a binary body.
 */

import { ApiError, NETWORK_ERROR, api as defaultClient, type ApiClient, type ProblemDetails } from './client';

export type GenerationKind = 'daily' | 'weekly';
export type BackupStoreName = 'primary' | 'remote';
/** A job's state as the server reports it; a newer server may add states (shown as they are). */
export type JobState = 'running' | 'complete' | 'failed';

/**
 * One tenant's data at one instant (an archive and its signed manifest in a
 * backup store). The archive's facts (size, sha256, key and schema version,
 * counts) are null while it is being written.
 */
export interface BackupGeneration {
  id: string;
  /** The tenant (its 契約コード). */
  tenant: string;
  kind: GenerationKind;
  store: BackupStoreName;
  /** Absent on servers that list finished generations only (then it is complete). */
  state?: JobState | string;
  createdAt: string;
  completedAt?: string | null;
  /** Bytes of the sealed archive as stored. */
  size: number | null;
  /** sha256 (hex) of the sealed archive as stored. */
  sha256: string | null;
  keyVersion: number | null;
  schemaVersion: string | null;
  /** Rows per table, and `blobs`. */
  counts: Record<string, number> | null;
  /** When the weekly verification last decrypted and checked it end to end. */
  verifiedAt: string | null;
  /** Why the last verification failed. */
  verifyError?: string | null;
  /** Bytes written so far (a running generation). */
  progressBytes?: number;
  /** Why the generation failed (no tenant content). */
  error?: string | null;
}

export interface GenerationList {
  items: BackupGeneration[];
}

export type ContractStatus = 'active' | 'cancelled' | 'deleted';

/** A tenant as the platform operators see it (never its content). */
export interface OperatorTenant {
  id: string;
  code: string;
  name: string;
  status: ContractStatus | string;
  cancelledAt: string | null;
  deletionDueAt: string | null;
  deletedAt: string | null;
  reinstatedAt?: string | null;
  lastBackupAt?: string | null;
  /** The deletion certificate (消去証明書) of a deleted tenant. */
  certificateId?: string | null;
}

export interface OperatorTenantList {
  items: OperatorTenant[];
}

export interface BackupAccepted {
  id: string;
}

export interface RestoreJob {
  id: string;
  state: JobState | string;
  generationId?: string;
  /** The step it is at (verifying, restoring, cleaning, done); shown translated when known. */
  step?: string | null;
  /** Why it failed: an error code or a sentence. */
  error?: string | null;
}

/** The answer of a cancellation: at least these; a server may send the whole {@link OperatorTenant}. */
export interface CancelResult {
  status: 'cancelled';
  deletionDueAt: string;
}

export interface DeletionAccepted {
  jobId: string;
}

/**
 * The deletion job of a tenant (durable: a crash resumes it at its step).
 * `step` is the next step to run, counted from 0 up to `steps` (done); see
 * {@link DELETION_STEPS}. A server may name the step instead.
 */
export interface DeletionJob {
  jobId?: string;
  state: 'running' | 'failed' | 'done' | string;
  step?: number | string | null;
  steps?: number;
  attempts?: number;
  error?: string | null;
  certificateId: string | null;
}

/** The deletion's steps in order (docs/api.md): `step` n of the job is the n-th of these. */
export const DELETION_STEPS = ['plan', 'backups', 'blobs', 'rows', 'keys', 'audit', 'status', 'certificate', 'done'] as const;

/** A deletion that has issued its certificate. */
export function isDeletionDone(job: DeletionJob): boolean {
  return job.state === 'done' || job.state === 'complete' || Boolean(job.certificateId);
}

export type CertificateFormat = 'pdf' | 'json';

const CERTIFICATE_TYPES: Readonly<Record<CertificateFormat, string>> = {
  pdf: 'application/pdf',
  json: 'application/json',
};

function seg(value: string): string {
  return encodeURIComponent(value);
}

/** A job that will not change any more. */
export function isFinished(state: string | undefined | null): boolean {
  return state === 'complete' || state === 'failed';
}

export function createBackupsApi(client: ApiClient = defaultClient, baseUrl = '/api/v1') {
  return {
    // --- tenant admin ----------------------------------------------------------------
    /** This tenant's generations, newest first (admin session or token scope backups:read). */
    listBackups(): Promise<GenerationList> {
      return client.request('GET', '/backups');
    },

    // --- platform operators --------------------------------------------------------------
    listTenants(): Promise<OperatorTenantList> {
      return client.request('GET', '/operator/tenants');
    },
    getTenant(code: string): Promise<OperatorTenant> {
      return client.request('GET', `/operator/tenants/${seg(code)}`);
    },
    listTenantBackups(code: string): Promise<GenerationList> {
      return client.request('GET', `/operator/tenants/${seg(code)}/backups`);
    },
    /** 202: a generation now; its state shows in {@link listTenantBackups}. */
    runBackup(code: string): Promise<BackupAccepted> {
      return client.request('POST', `/operator/tenants/${seg(code)}/backups`, { body: {} });
    },
    /** 202: verifies the generation, then replaces the tenant's rows and blobs. 409 tenant_busy, backup_schema_mismatch. */
    restore(code: string, backupId: string): Promise<RestoreJob> {
      return client.request('POST', `/operator/tenants/${seg(code)}/restore`, { body: { backupId } });
    },
    getRestore(code: string, id: string): Promise<RestoreJob> {
      return client.request('GET', `/operator/tenants/${seg(code)}/restores/${seg(id)}`);
    },
    /** `effectiveAt`: ISO instant; omitted means now. */
    cancel(code: string, effectiveAt?: string): Promise<CancelResult> {
      return client.request('POST', `/operator/tenants/${seg(code)}/cancel`, { body: effectiveAt ? { effectiveAt } : {} });
    },
    reinstate(code: string): Promise<OperatorTenant> {
      return client.request('POST', `/operator/tenants/${seg(code)}/reinstate`);
    },
    /** 202: the due deletion, now (only when cancelled: 409 tenant_not_cancelled). */
    deleteNow(code: string): Promise<DeletionAccepted> {
      return client.request('POST', `/operator/tenants/${seg(code)}/delete-now`);
    },
    getDeletion(code: string): Promise<DeletionJob> {
      return client.request('GET', `/operator/tenants/${seg(code)}/deletion`);
    },

    /**
     * The deletion certificate as a file (PDF or the signed JSON). Not through
     * `request`: that one asks for JSON and parses it; a problem answer still
     * becomes an ApiError.
     */
    async certificate(id: string, format: CertificateFormat): Promise<Blob> {
      const type = CERTIFICATE_TYPES[format];
      let response: Response;
      try {
        response = await fetch(`${baseUrl}/operator/deletion-certificates/${seg(id)}`, {
          method: 'GET',
          headers: { Accept: type },
          credentials: 'same-origin',
        });
      } catch (cause) {
        throw new ApiError(0, { code: NETWORK_ERROR, detail: String(cause) });
      }
      if (!response.ok) {
        let problem: ProblemDetails = { status: response.status, title: response.statusText || undefined };
        if ((response.headers.get('Content-Type') ?? '').includes('json')) {
          try {
            const parsed: unknown = await response.json();
            if (parsed && typeof parsed === 'object') problem = { status: response.status, ...(parsed as ProblemDetails) };
          } catch {
            // Not JSON after all: the generic problem stays.
          }
        }
        throw new ApiError(response.status, problem);
      }
      const blob = await response.blob();
      return blob.type ? blob : new Blob([blob], { type });
    },
  };
}

export type BackupsApi = ReturnType<typeof createBackupsApi>;

/** The application's calls (tests stub fetch underneath, as for {@link defaultClient}). */
export const backupsApi = createBackupsApi();
