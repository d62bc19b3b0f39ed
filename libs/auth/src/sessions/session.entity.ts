import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A server-side browser session. The cookie carries a random token; only its
 * SHA-256 is stored, so a database leak does not hand out live sessions.
 */
@Entity({ name: 'sessions' })
export class Session {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'token_hash', type: 'bytea' })
  tokenHash: Buffer;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ name: 'tenant_id', type: 'uuid', nullable: true })
  tenantId: string | null;

  @Column({ name: 'csrf_token', type: 'text' })
  csrfToken: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  /** 'pending' after the password step: grants nothing but the key-file step. */
  @Column({ type: 'text', default: 'full' })
  stage: 'pending' | 'full';

  @Column({ name: 'pending_kind', type: 'text', nullable: true })
  pendingKind: 'keyfile' | 'enroll' | null;

  @Column({ type: 'text', nullable: true })
  challenge: string | null;

  @Column({ name: 'challenge_expires_at', type: 'timestamptz', nullable: true })
  challengeExpiresAt: Date | null;

  /** The key that opened this session (revoking it ends the session). */
  @Column({ name: 'key_id', type: 'text', nullable: true })
  keyId: string | null;

  @Column({ type: 'text', nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent: string | null;
}
