import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type UserRole = 'admin' | 'member' | 'operator' | 'client';
export type UserStatus = 'invited' | 'active' | 'disabled';

/**
 * A person who logs in. Tenant users have a tenant; platform operators
 * (role `operator`) belong to no customer tenant (tenant_id IS NULL).
 */
@Entity({ name: 'users' })
export class User {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid', nullable: true })
  tenantId: string | null;

  /** Stored lower-cased; unique per tenant. */
  @Column({ type: 'text' })
  email: string;

  /** Operators only: a tenant user's name is never stored in plain text. */
  @Column({ name: 'display_name', type: 'text', nullable: true })
  displayNamePlain: string | null;

  /** The tenant user's display name, sealed with the tenant's data key (purpose user.display_name, record = id). */
  @Column({ name: 'display_name_sealed', type: 'bytea', nullable: true })
  displayNameSealed: Buffer | null;

  /** Not a column: filled by UserNamesService.reveal() from one of the two above. */
  displayName: string;

  @Column({ type: 'text' })
  role: UserRole;

  @Column({ type: 'text' })
  status: UserStatus;

  /** Role `client` only: the 顧問先 whose portal this user logs in to (NULL for every other role). */
  @Column({ name: 'client_id', type: 'uuid', nullable: true })
  clientId: string | null;

  @Column({ name: 'password_hash', type: 'text', nullable: true, select: false })
  passwordHash: string | null;

  @Column({ name: 'failed_login_count', type: 'int', default: 0 })
  failedLoginCount: number;

  @Column({ name: 'failed_window_start', type: 'timestamptz', nullable: true })
  failedWindowStart: Date | null;

  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil: Date | null;

  @Column({ name: 'last_login_at', type: 'timestamptz', nullable: true })
  lastLoginAt: Date | null;

  @Column({ name: 'invitation_token_hash', type: 'text', nullable: true, select: false })
  invitationTokenHash: string | null;

  @Column({ name: 'invitation_expires_at', type: 'timestamptz', nullable: true })
  invitationExpiresAt: Date | null;

  /** May create their own key file at login (invited/created and never had one, or reset by an admin). */
  @Column({ name: 'key_enrolment_allowed', type: 'boolean', default: true })
  keyEnrolmentAllowed: boolean;

  /** SAML identity: the IdP entity id and NameID that log this user in (unique per tenant). */
  @Column({ name: 'sso_idp_entity_id', type: 'text', nullable: true, select: false })
  ssoIdpEntityId: string | null;

  @Column({ name: 'sso_name_id', type: 'text', nullable: true, select: false })
  ssoNameId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
