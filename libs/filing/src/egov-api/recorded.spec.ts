import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateAgainstSpec, type SpecSchemaName } from '../../../../apps/egov-sim/src/spec';

/**
 * The recorded answers the client's tests and parsers rely on are checked with the simulator's schemas
 * (apps/egov-sim/src/spec, written independently from the e-Gov API v2 specification): a recorded answer
 * in a shape e-Gov would never send would make every test built on it prove nothing.
 */
const DIR = path.join(__dirname, 'recorded');

/** Each recorded file and the spec schema of the answer it stands for. A new file must be added here. */
const SCHEMA_OF: Record<string, SpecSchemaName> = {
  'amend.json': 'apply_amend_response',
  'apply-check.json': 'apply_check_response',
  'apply-detail.json': 'apply_detail_response',
  'apply-lists.json': 'apply_lists_response',
  'apply.json': 'apply_response',
  'error-400-report.json': 'error_report',
  'introspect.json': 'introspect_response',
  'notice.json': 'notice_response',
  'official-document-complete.json': 'official_document_complete_response',
  'official-document.json': 'official_document_response',
  'procedure.json': 'procedure_response',
  'token.json': 'token_response',
  'withdraw.json': 'apply_withdraw_response',
};

describe('recorded e-Gov answers', () => {
  it('has a spec schema for every recorded file', () => {
    expect(
      fs
        .readdirSync(DIR)
        .filter((f) => f.endsWith('.json'))
        .sort(),
    ).toEqual(Object.keys(SCHEMA_OF).sort());
  });

  it.each(Object.entries(SCHEMA_OF))('%s fits the spec (%s)', (file, schema) => {
    const body: unknown = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8'));
    expect(validateAgainstSpec(schema, body).errors).toEqual([]);
  });

  it('refuses a recorded answer with a field the spec does not have (the check can fail)', () => {
    const apply = JSON.parse(fs.readFileSync(path.join(DIR, 'apply.json'), 'utf8')) as { results: Record<string, unknown> };
    apply.results.proc_id = '4950013521019000';
    expect(validateAgainstSpec('apply_response', apply).errors).toEqual(['/results must NOT have additional properties (proc_id)']);
  });
});
