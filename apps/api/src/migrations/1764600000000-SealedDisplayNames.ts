import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Display names of tenant users move to `display_name_sealed` (sealed with the
 * tenant's data key). SQL cannot reach the key provider, so the rows are
 * converted right after the migrations, at start-up and by every CLI command
 * (UserNamesService.sealPlaintextNames, resumable); `display_name` then stays
 * NULL for tenant users and holds only operators' names.
 */
export class SealedDisplayNames1764600000000 implements MigrationInterface {
  name = 'SealedDisplayNames1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN display_name_sealed bytea`);
    await q.query(`ALTER TABLE users ALTER COLUMN display_name DROP NOT NULL`);
    await q.query(
      `ALTER TABLE users ADD CONSTRAINT users_display_name_present CHECK (display_name IS NOT NULL OR display_name_sealed IS NOT NULL)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    // Going back needs the plain names: refuse rather than lose them.
    const sealed: Array<{ n: number }> = await q.query(`SELECT count(*)::int AS n FROM users WHERE display_name IS NULL`);
    if (sealed[0].n > 0) throw new Error('users have sealed display names only; reverting would lose them');
    await q.query(`ALTER TABLE users DROP CONSTRAINT users_display_name_present`);
    await q.query(`ALTER TABLE users ALTER COLUMN display_name SET NOT NULL`);
    await q.query(`ALTER TABLE users DROP COLUMN display_name_sealed`);
  }
}
