import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type TenantStatus = 'active' | 'cancelled' | 'deleted';

/** A company files for itself; a 社会保険労務士 office (sharoushi) files for its 顧問先 (clients). */
export const TENANT_KINDS = ['company', 'sharoushi'] as const;
export type TenantKind = (typeof TENANT_KINDS)[number];

/** One contract (ご契約): a company or a 社会保険労務士 office. */
@Entity({ name: 'tenants' })
export class Tenant {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Short, lowercase, unique code the users type at login (契約コード). */
  @Column({ type: 'text' })
  code: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', default: 'active' })
  status: TenantStatus;

  /** Set at creation (tenant:create --kind); a company tenant is simply a tenant without clients. */
  @Column({ type: 'text', default: 'company' })
  kind: TenantKind;

  /**
   * Contract lifecycle (owned by libs/backup ContractService): when a cancellation takes
   * effect (may lie in the future), when the deletion is due, when it was done.
   */
  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true })
  cancelledAt: Date | null;

  @Column({ name: 'deletion_due_at', type: 'timestamptz', nullable: true })
  deletionDueAt: Date | null;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @Column({ name: 'reinstated_at', type: 'timestamptz', nullable: true })
  reinstatedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/**
 * Is the contract closed for access now: deleted, or cancelled with its effective time
 * reached? A cancellation with a future effective time changes nothing until then.
 */
export function contractClosed(t: { status: TenantStatus; cancelledAt: Date | null }, now = new Date()): boolean {
  return t.status === 'deleted' || (t.status === 'cancelled' && (!t.cancelledAt || t.cancelledAt.getTime() <= now.getTime()));
}

/** The same test in SQL, on a `tenants` row aliased `t`. */
export const CONTRACT_CLOSED_SQL = `(t.status = 'deleted' OR (t.status = 'cancelled' AND (t.cancelled_at IS NULL OR t.cancelled_at <= now())))`;
