import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The filing deadline (提出期限) of an application, computed from its sealed
 * form each time the form is saved or checked (ProceduresService.dueDate) and
 * kept plain so that lists, the dashboard and the overdue warning can sort and
 * filter on it without opening every form. A date only (JST calendar day).
 * Rows written before this migration hold null until their next save or
 * 入力チェック. (Plain on purpose: it tells the day of the event to within
 * the rule's counting, nothing else of the form, which stays sealed.)
 */
export class ApplicationDueDate1765000000700 implements MigrationInterface {
  name = 'ApplicationDueDate1765000000700';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE applications ADD COLUMN due_date date`);
    await q.query(`CREATE INDEX applications_due_idx ON applications (tenant_id, due_date) WHERE due_date IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX applications_due_idx`);
    await q.query(`ALTER TABLE applications DROP COLUMN due_date`);
  }
}
