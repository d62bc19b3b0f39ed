import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { KeyRotationService, SealingService } from '@charlotte/crypto';
import { User } from './user.entity';

/** AAD purpose of a sealed display name (bound to tenant and user id as well). */
export const DISPLAY_NAME_PURPOSE = 'user.display_name';

/**
 * Display names are personal data: a tenant user's name is stored only sealed
 * with the tenant's data key (`display_name_sealed`). Platform operators have
 * no tenant key; their name ("運用担当者" unless changed) stays plain.
 */
@Injectable()
export class UserNamesService {
  constructor(
    private readonly sealing: SealingService,
    @InjectDataSource() private readonly ds: DataSource,
    rotation: KeyRotationService,
  ) {
    rotation.register({ table: 'users', column: 'display_name_sealed', purpose: DISPLAY_NAME_PURPOSE });
  }

  /**
   * Seals the plain display names of tenant users (rows written before
   * encryption existed) in batches; resumable and idempotent. Returns the count.
   */
  async sealPlaintextNames(): Promise<number> {
    let n = 0;
    for (;;) {
      const rows: Array<{ id: string; tenant_id: string; display_name: string }> = await this.ds.query(
        `SELECT id, tenant_id, display_name FROM users WHERE tenant_id IS NOT NULL AND display_name IS NOT NULL ORDER BY id LIMIT 200`,
      );
      if (rows.length === 0) return n;
      for (const r of rows) {
        const sealed = await this.seal(r.tenant_id, r.id, r.display_name);
        await this.ds.query(`UPDATE users SET display_name_sealed = $2, display_name = NULL WHERE id = $1 AND display_name IS NOT NULL`, [
          r.id,
          sealed,
        ]);
        n++;
      }
    }
  }

  seal(tenantId: string, userId: string, name: string): Promise<Buffer> {
    return this.sealing.seal(tenantId, DISPLAY_NAME_PURPOSE, userId, name);
  }

  /** Fills `displayName` of loaded users (only the rows the caller returns are opened). */
  async reveal<T extends User | null | undefined>(user: T): Promise<T> {
    if (!user) return user;
    user.displayName =
      user.tenantId && user.displayNameSealed
        ? await this.sealing.openString(user.tenantId, DISPLAY_NAME_PURPOSE, user.id, user.displayNameSealed)
        : (user.displayNamePlain ?? '');
    return user;
  }

  /** The display names of a tenant's users, by id, in one query (ids of other tenants are not found). */
  async namesOf(tenantId: string, ids: readonly string[]): Promise<Map<string, string>> {
    const rows: Array<{ id: string; display_name: string | null; display_name_sealed: Buffer | null }> = await this.ds.query(
      `SELECT id, display_name, display_name_sealed FROM users WHERE tenant_id = $1 AND id = ANY($2::uuid[])`,
      [tenantId, ids],
    );
    const out = new Map<string, string>();
    for (const r of rows) {
      out.set(
        r.id,
        r.display_name_sealed
          ? await this.sealing.openString(tenantId, DISPLAY_NAME_PURPOSE, r.id, r.display_name_sealed)
          : (r.display_name ?? ''),
      );
    }
    return out;
  }

  async revealAll<T extends User>(users: T[]): Promise<T[]> {
    for (const u of users) await this.reveal(u);
    return users;
  }
}
