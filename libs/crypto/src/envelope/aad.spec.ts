import { encodeSealContext, MAX_SEAL_CONTEXT_FIELD_BYTES, SEAL_AAD_DOMAIN, type SealContext } from './aad';
import { SealedArgumentError } from './errors';

const ctx: SealContext = { tenantId: 'tenant-1', purpose: 'application.form_data', recordId: 'rec-9' };

describe(encodeSealContext.name, () => {
  it('encodes the domain and every field length-prefixed (pinned bytes)', () => {
    const sut = encodeSealContext({ tenantId: 'ab', purpose: 'c', recordId: 'é' });
    expect(sut.toString('hex')).toBe(
      '00000011' + Buffer.from(SEAL_AAD_DOMAIN).toString('hex') + '00000002' + '6162' + '00000001' + '63' + '00000002' + 'c3a9',
    );
  });

  it('never gives the same bytes when field boundaries move', () => {
    const a = encodeSealContext({ tenantId: 'a', purpose: 'bc', recordId: 'r' });
    const b = encodeSealContext({ tenantId: 'ab', purpose: 'c', recordId: 'r' });
    expect(a.equals(b)).toBe(false);
    const c = encodeSealContext({ tenantId: 't', purpose: 'p', recordId: 'x\u0000' });
    const d = encodeSealContext({ tenantId: 't', purpose: 'p', recordId: 'x' });
    expect(c.equals(d)).toBe(false);
  });

  it('gives the pinned bytes again for a pair encoded before (the tenant and purpose part is reused), and a fresh buffer each time', () => {
    const pinned = (tenant: string, purpose: string, record: string) =>
      Buffer.concat(
        [SEAL_AAD_DOMAIN, tenant, purpose, record].flatMap((f) => {
          const b = Buffer.from(f, 'utf8');
          const len = Buffer.alloc(4);
          len.writeUInt32BE(b.length);
          return [len, b];
        }),
      );
    const first = encodeSealContext({ tenantId: 'tenant-r', purpose: 'application.title', recordId: 'r1' });
    first.fill(0); // a caller scribbling on its copy changes nothing for the next one
    for (const r of ['r1', 'r2', 'レコード'])
      expect(
        encodeSealContext({ tenantId: 'tenant-r', purpose: 'application.title', recordId: r }).equals(
          pinned('tenant-r', 'application.title', r),
        ),
      ).toBe(true);
  });

  it('still refuses a bad purpose whose pair would collide with a cached one if tenant and purpose were simply joined', () => {
    encodeSealContext({ tenantId: 'a\u0000b', purpose: 'c', recordId: 'r' });
    expect(() => encodeSealContext({ tenantId: 'a', purpose: 'b\u0000c', recordId: 'r' })).toThrow(SealedArgumentError);
    expect(() => encodeSealContext({ tenantId: 'a\u0000b', purpose: 'C', recordId: 'r' })).toThrow(SealedArgumentError);
  });

  it('gives different bytes for each field', () => {
    const base = encodeSealContext(ctx);
    expect(encodeSealContext({ ...ctx, tenantId: 'tenant-2' }).equals(base)).toBe(false);
    expect(encodeSealContext({ ...ctx, purpose: 'attachment.name' }).equals(base)).toBe(false);
    expect(encodeSealContext({ ...ctx, recordId: 'rec-8' }).equals(base)).toBe(false);
    expect(encodeSealContext({ ...ctx }).equals(base)).toBe(true);
  });

  it.each([
    ['an empty tenantId', { ...ctx, tenantId: '' }],
    ['an empty recordId', { ...ctx, recordId: '' }],
    ['an empty purpose', { ...ctx, purpose: '' }],
    ['an upper-case purpose', { ...ctx, purpose: 'Attachment' }],
    ['a purpose starting with a digit', { ...ctx, purpose: '1abc' }],
    ['a purpose with a space', { ...ctx, purpose: 'a b' }],
    ['a purpose of 65 characters', { ...ctx, purpose: `a${'b'.repeat(64)}` }],
    ['a lone surrogate (would collide with U+FFFD)', { ...ctx, recordId: 'x\ud800' }],
    ['an over-long recordId', { ...ctx, recordId: 'r'.repeat(MAX_SEAL_CONTEXT_FIELD_BYTES + 1) }],
    ['a non-string tenantId', { ...ctx, tenantId: 42 as unknown as string }],
    ['a missing context', null as unknown as SealContext],
  ])('refuses %s', (_what, bad) => {
    expect(() => encodeSealContext(bad)).toThrow(SealedArgumentError);
  });

  it('accepts the longest allowed purpose and fields', () => {
    expect(() =>
      encodeSealContext({ tenantId: 't'.repeat(MAX_SEAL_CONTEXT_FIELD_BYTES), purpose: `a${'b'.repeat(63)}`, recordId: '受付-1' }),
    ).not.toThrow();
  });
});
