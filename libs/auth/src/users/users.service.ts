import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '@charlotte/audit';
import { APP_CONFIG, AppConfig, decodeCursor, encodeCursor, NotFoundError, Page } from '@charlotte/core';
import { AuthErrors } from '../errors';
import { PasswordService } from '../password/password.service';
import { SessionsService } from '../sessions/sessions.service';
import { User, UserRole } from './user.entity';
import { UserNamesService } from './user-names.service';
import { CreateUserDto, UpdateUserDto } from './dto/user.dto';

export interface Invitation {
  token: string;
  url: string;
  expiresAt: Date;
}

const hashToken = (t: string) => createHash('sha256').update(t).digest('hex');

/** Users of one tenant. Every method takes the tenant first and filters by it. */
@Injectable()
export class UsersService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly names: UserNamesService,
  ) {}

  async list(tenantId: string, opts: { limit?: number; cursor?: string; q?: string }): Promise<Page<User>> {
    const limit = opts.limit ?? 50;
    const after = decodeCursor(opts.cursor, ['c', 'i'] as const);
    const qb = this.ds
      .getRepository(User)
      .createQueryBuilder('u')
      .where('u.tenant_id = :tenantId', { tenantId })
      .orderBy('u.created_at', 'ASC')
      .addOrderBy('u.id', 'ASC')
      .limit(limit + 1);
    if (after) qb.andWhere('(u.created_at, u.id) > (:c::timestamptz, :i::uuid)', { c: after.c, i: after.i });
    if (opts.q) qb.andWhere('u.email LIKE :q', { q: `${opts.q.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%` });
    const rows = await qb.getMany();
    const items = await this.names.revealAll(rows.slice(0, limit));
    const last = items[items.length - 1];
    return {
      items,
      // created_at has microseconds in PostgreSQL; keep them in the cursor via the raw text form.
      nextCursor: rows.length > limit && last ? encodeCursor({ c: await this.createdAtText(last.id), i: last.id }) : null,
    };
  }

  private async createdAtText(id: string): Promise<string> {
    const r: Array<{ c: string }> = await this.ds.query(
      `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS c FROM users WHERE id = $1`,
      [id],
    );
    return r[0].c;
  }

  async get(tenantId: string, id: string): Promise<User> {
    const u = await this.ds.getRepository(User).findOne({ where: { id, tenantId } });
    if (!u) throw new NotFoundError('user');
    return this.names.reveal(u);
  }

  /**
   * Invites a user of a 顧問先's portal (role `client`, always invited: a one-time link, then a password
   * and a key file at first login, like every invited user). The caller (libs/portal) has checked
   * the client: the database still refuses a client of another tenant (composite foreign key).
   */
  createClientUser(tenantId: string, clientId: string, dto: { email: string; displayName: string }) {
    return this.create(tenantId, { email: dto.email, displayName: dto.displayName, role: 'client' }, clientId);
  }

  /** The portal users of one 顧問先 (a few per client; bounded at 500), oldest first. */
  async listByClient(tenantId: string, clientId: string): Promise<User[]> {
    const rows = await this.ds.getRepository(User).find({
      where: { tenantId, clientId, role: 'client' },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: 500,
    });
    return this.names.revealAll(rows);
  }

  /** Creates an active user (with a password) or an invited one (without). */
  async create(
    tenantId: string,
    dto: Omit<CreateUserDto, 'role'> & { role: 'admin' | 'member' | 'client' },
    clientId: string | null = null,
  ): Promise<{ user: User; invitation?: Invitation }> {
    const email = dto.email.toLowerCase();
    const passwordHash = dto.password ? await this.passwords.hash(dto.password) : null;
    const invitation = dto.password ? undefined : this.newInvitation();
    try {
      const id = randomUUID();
      const user = await this.ds.getRepository(User).save({
        id,
        tenantId,
        email,
        displayNamePlain: null,
        displayNameSealed: await this.names.seal(tenantId, id, dto.displayName),
        role: dto.role,
        clientId: dto.role === 'client' ? clientId : null,
        status: dto.password ? 'active' : 'invited',
        passwordHash,
        invitationTokenHash: invitation ? hashToken(invitation.token) : null,
        invitationExpiresAt: invitation?.expiresAt ?? null,
      });
      await this.audit.record({
        category: 'operation',
        action: 'user.created',
        outcome: 'success',
        tenantId,
        target: { type: 'user', id: user.id },
        details: { role: dto.role, status: dto.password ? 'active' : 'invited' },
      });
      return { user: await this.get(tenantId, user.id), invitation };
    } catch (e) {
      throw this.mapUniqueViolation(e);
    }
  }

  /** Creates a platform operator (no tenant). */
  async createOperator(email: string, password: string | undefined): Promise<{ user: User; invitation?: Invitation }> {
    const invitation = password ? undefined : this.newInvitation();
    try {
      const saved = await this.ds.getRepository(User).save({
        tenantId: null,
        email: email.toLowerCase(),
        // Shown in the console header and greeting: Japanese, as every other string the SPA shows.
        displayNamePlain: '運用担当者',
        role: 'operator' as UserRole,
        status: password ? 'active' : 'invited',
        passwordHash: password ? await this.passwords.hash(password) : null,
        invitationTokenHash: invitation ? hashToken(invitation.token) : null,
        invitationExpiresAt: invitation?.expiresAt ?? null,
      });
      await this.audit.record({
        category: 'operation',
        action: 'operator.created',
        outcome: 'success',
        tenantId: null,
        target: { type: 'user', id: saved.id },
        details: { status: saved.status as string },
      });
      return { user: await this.names.reveal(saved as User), invitation };
    } catch (e) {
      throw this.mapUniqueViolation(e);
    }
  }

  /**
   * Changes display name, role or status. Refuses changes that would leave the
   * tenant without an active administrator (nobody could manage it any more).
   */
  async update(tenantId: string, id: string, dto: UpdateUserDto): Promise<User> {
    const changes: string[] = [];
    const updated = await this.ds.transaction(async (em) => {
      // Lock the tenant's admins so two concurrent demotions cannot both pass the check.
      await em.query(`SELECT id FROM users WHERE tenant_id = $1 AND role = 'admin' FOR UPDATE`, [tenantId]);
      const user = await this.names.reveal(await em.getRepository(User).findOne({ where: { id, tenantId } }));
      if (!user) throw new NotFoundError('user');
      if (dto.status === 'active' && user.status === 'invited') {
        throw AuthErrors.userInvited();
      }
      const losesAdmin =
        user.role === 'admin' && user.status === 'active' && ((dto.role && dto.role !== 'admin') || dto.status === 'disabled');
      if (losesAdmin && (await this.activeAdminCount(em, tenantId)) <= 1) {
        throw AuthErrors.lastAdmin();
      }
      const roleChanged = dto.role !== undefined && dto.role !== user.role;
      // A portal user belongs to one 顧問先 (users.client_id, NOT NULL iff role client): never staff.
      if (roleChanged && user.role === 'client') throw AuthErrors.clientUserRole();
      const disabled = dto.status === 'disabled' && user.status !== 'disabled';
      if (((roleChanged && dto.role !== 'admin') || disabled) && (await this.dropFromBreakGlass(em, tenantId, id)))
        changes.push('breakGlass');
      if (dto.displayName !== undefined && dto.displayName !== user.displayName) changes.push('displayName');
      if (roleChanged) changes.push('role');
      if (dto.status !== undefined && dto.status !== user.status) changes.push('status');
      if (dto.displayName !== undefined && dto.displayName !== user.displayName) {
        user.displayNameSealed = await this.names.seal(tenantId, id, dto.displayName);
        user.displayNamePlain = null;
      }
      if (dto.role !== undefined) user.role = dto.role;
      if (dto.status !== undefined) user.status = dto.status;
      if (dto.status === 'active') {
        // An administrator's "unlock": every address's counter and the backstop.
        user.lockedUntil = null;
        user.failedLoginCount = 0;
        await em.query('DELETE FROM login_failures WHERE subject = $1', [id]);
      }
      await em.getRepository(User).save(user);
      if (disabled || roleChanged) {
        // A pending confirmation to link this account at its next SSO login was the old role's decision.
        await em.query('UPDATE users SET sso_link_confirmed_until = NULL WHERE id = $1 AND tenant_id = $2', [id, tenantId]);
        // A disabled user must lose access at once; a role change takes effect on a fresh login.
        await em.query('UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND tenant_id = $2 AND revoked_at IS NULL', [
          id,
          tenantId,
        ]);
      }
      return this.names.reveal((await em.getRepository(User).findOne({ where: { id, tenantId } })) as User);
    });
    if (changes.length) {
      await this.audit.record({
        category: 'operation',
        action: changes.includes('role') ? 'user.role_changed' : changes.includes('status') ? 'user.status_changed' : 'user.updated',
        outcome: 'success',
        tenantId,
        target: { type: 'user', id },
        details: { changes, role: updated.role, status: updated.status },
      });
    }
    return updated;
  }

  /**
   * Break-glass accounts are granted by user id in the tenant's SSO settings
   * (security review, finding 7): an administrator who is demoted or disabled
   * must leave that list in the same transaction, or a member would keep
   * password login while SSO is enforced. The last break-glass account of an
   * SSO-enforced tenant cannot be removed this way (SSO settings would refuse
   * such a list too): another one must be named there first.
   */
  private async dropFromBreakGlass(em: EntityManager, tenantId: string, userId: string): Promise<boolean> {
    const r: Array<{ sso_required: boolean; ids: string[] }> = await em.query(
      'SELECT sso_required, break_glass_admin_ids AS ids FROM tenant_sso_settings WHERE tenant_id = $1 FOR UPDATE',
      [tenantId],
    );
    if (!r[0]?.ids.includes(userId)) return false;
    if (r[0].sso_required && r[0].ids.length === 1) {
      throw AuthErrors.lastBreakGlassAdmin();
    }
    await em.query('UPDATE tenant_sso_settings SET break_glass_admin_ids = array_remove(break_glass_admin_ids, $2) WHERE tenant_id = $1', [
      tenantId,
      userId,
    ]);
    return true;
  }

  private async activeAdminCount(em: EntityManager, tenantId: string): Promise<number> {
    const r: Array<{ n: number }> = await em.query(
      `SELECT count(*)::int AS n FROM users WHERE tenant_id = $1 AND role = 'admin' AND status = 'active'`,
      [tenantId],
    );
    return r[0].n;
  }

  /** Issues a new one-time invitation link for an invited user (the old one stops working). */
  async invite(tenantId: string, id: string): Promise<Invitation> {
    const user = await this.get(tenantId, id);
    if (user.status !== 'invited') {
      throw AuthErrors.userNotInvited();
    }
    const invitation = this.newInvitation();
    await this.ds
      .getRepository(User)
      .update({ id, tenantId }, { invitationTokenHash: hashToken(invitation.token), invitationExpiresAt: invitation.expiresAt });
    await this.audit.record({ category: 'operation', action: 'user.invited', outcome: 'success', tenantId, target: { type: 'user', id } });
    return invitation;
  }

  /** Sets the password of an invited user from a valid one-time token and activates them. */
  async acceptInvitation(token: string, password: string): Promise<User> {
    const passwordHash = await this.passwords.hash(password);
    const rows: [Array<{ id: string }>, number] = await this.ds.query(
      `UPDATE users SET password_hash = $2, status = 'active', invitation_token_hash = NULL, invitation_expires_at = NULL,
              failed_login_count = 0, locked_until = NULL, updated_at = now()
        WHERE invitation_token_hash = $1 AND invitation_expires_at > now() AND status = 'invited'
        RETURNING id`,
      [hashToken(token), passwordHash],
    );
    const id = rows[0][0]?.id;
    if (!id) {
      await this.audit.record({
        category: 'security',
        action: 'user.invitation_accepted',
        outcome: 'failure',
        tenantId: null,
        actor: { type: 'anonymous' },
        details: { reason: 'invitation_invalid' },
      });
      throw AuthErrors.invitationInvalid();
    }
    const user = await this.names.reveal((await this.ds.getRepository(User).findOne({ where: { id } })) as User);
    await this.audit.record({
      category: 'operation',
      action: 'user.invitation_accepted',
      outcome: 'success',
      tenantId: user.tenantId,
      actor: { type: 'user', id },
      target: { type: 'user', id },
    });
    return user;
  }

  private newInvitation(): Invitation {
    const token = randomBytes(32).toString('base64url');
    return {
      token,
      url: `${this.config.publicUrl}/invite/${token}`,
      expiresAt: new Date(Date.now() + this.config.invitationTtlHours * 3600_000),
    };
  }

  private mapUniqueViolation(e: unknown): unknown {
    if ((e as { code?: string }).code === '23505') return AuthErrors.emailTaken();
    return e;
  }

  /** Session revocation for other modules (key revocation, password reset). */
  revokeSessions(tenantId: string | null, userId: string): Promise<number> {
    return this.sessions.revokeAllForUser(tenantId, userId);
  }
}
