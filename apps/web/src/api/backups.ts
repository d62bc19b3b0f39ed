/**
 * Backups, contract end and deletion (docs/api.md, "Backups, contract end,
 * deletion"): the shapes and calls of the tenant admin's バックアップ page and
 * of the platform operators' console.
 *
 * The shapes are aliases of the generated OpenAPI types (./schema.d.ts,
 * `npm run api:types`), so a change on the server shows here as a type error. Every
 * call goes through {@link ApiClient.request} (session cookie, CSRF token,
 * problem+json → ApiError), except the certificate download, which needs
 * another Accept header and a binary body.
 */

import { ApiError, NETWORK_ERROR, api as defaultClient, type ApiClient, type ProblemDetails } from './client';
import type { components } from './schema';

type Schemas = components['schemas'];

export type GenerationKind = Schemas['GenerationDto']['kind'];
export type BackupStoreName = Schemas['GenerationDto']['store'];
export type JobState = Schemas['GenerationDto']['state'];

/**
 * One tenant's data at one instant (an archive and its signed manifest in a
 * backup store). The archive's facts (size, sha256, key and schema version,
 * counts) are null while it is being written.
 */
export type BackupGeneration = Schemas['GenerationDto'];
export type GenerationList = Schemas['GenerationListDto'];
export type ContractStatus = Schemas['OperatorTenantDto']['status'];
/** The break-glass reset of a tenant's IP allow-list. */
export type IpAllowlistReset = Schemas['IpAllowlistResetDto'];
/** A tenant as the platform operators see it (never its content). */
export type OperatorTenant = Schemas['OperatorTenantDto'];
export type OperatorTenantList = Schemas['OperatorTenantListDto'];
export type BackupAccepted = Schemas['StartedDto'];
export type RestoreJob = Schemas['RestoreDto'];
/** The answer of a cancellation: the tenant as it is now (status cancelled, deletionDueAt). */
export type CancelResult = OperatorTenant;
export type DeletionAccepted = Schemas['DeletionStartedDto'];
/**
 * The deletion job of a tenant (durable: a crash resumes it at its step).
 * `step` is the next step to run, counted from 0 up to `steps` (done); see
 * {@link DELETION_STEPS}.
 */
export type DeletionJob = Schemas['DeletionJobDto'];
/** A deletion as the console knows it: right after 今すぐ消去 only its state is known, until the first poll. */
export type DeletionProgress = Pick<DeletionJob, 'state' | 'certificateId'> & Partial<DeletionJob>;

/** The deletion's steps in order (docs/api.md): `step` n of the job is the n-th of these. */
export const DELETION_STEPS = ['plan', 'backups', 'blobs', 'rows', 'keys', 'audit', 'status', 'certificate', 'done'] as const;

/** A deletion that has issued its certificate. */
export function isDeletionDone(job: DeletionProgress): boolean {
  return job.state === 'done' || Boolean(job.certificateId);
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
    /** Break-glass: switches the tenant's IP allow-list off (entries kept, its admins get an お知らせ). */
    disableIpAllowlist(code: string): Promise<IpAllowlistReset> {
      return client.request('POST', `/operator/tenants/${seg(code)}/ip-allowlist/disable`);
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
