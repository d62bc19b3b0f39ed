import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DISPLAY_NAME_PURPOSE } from '@charlotte/auth';
import { SealingService } from '@charlotte/crypto';

/**
 * The display names of a tenant's users, for the libs above auth that show who is asked or who
 * decided (承認フロー in libs/filing): only the names asked for are opened.
 */
@Injectable()
export class UserDirectoryService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly sealing: SealingService,
  ) {}

  async displayNames(tenantId: string, ids: string[]): Promise<Array<{ id: string; name: string }>> {
    if (!ids.length) return [];
    const rows: Array<{ id: string; display_name: string | null; display_name_sealed: Buffer | null }> = await this.ds.query(
      `SELECT id, display_name, display_name_sealed FROM users WHERE tenant_id = $1 AND id = ANY($2::uuid[])`,
      [tenantId, ids],
    );
    const out: Array<{ id: string; name: string }> = [];
    for (const r of rows)
      out.push({
        id: r.id,
        name: r.display_name_sealed
          ? await this.sealing.openString(tenantId, DISPLAY_NAME_PURPOSE, r.id, r.display_name_sealed)
          : (r.display_name ?? ''),
      });
    return out;
  }
}
