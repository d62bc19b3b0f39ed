import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { EgovPackageError } from './errors';
import { buildPackage, checkPackage } from './package';
import { EGOV_PROCEDURES, egovMappingFor } from './procedure-ids';
import type { BuildPackageOptions, EgovPackage, PackageAttachment, PackageFile, PackageInput, PackageSigner } from './types';
import {
  APPLICANT,
  attachment,
  bytes,
  definition,
  elements,
  MY_NUMBER,
  OFFICE,
  onlyText,
  packageInput,
  parseXml,
  unzip,
  VALID_FORMS,
} from './test-helpers';
import type { UnzippedEntry } from './test-helpers';

const formFile = (code: string): string => `${egovMappingFor(definition(code)).formId}_01.xml`;
const bare = (name: string): string => name.slice(name.indexOf('/') + 1);
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const CREATED_AT = new Date('2025-04-01T00:00:00Z');

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection, the promise resolved');
}

async function packageError(promise: Promise<unknown>): Promise<EgovPackageError> {
  const e = await rejection(promise);
  if (!(e instanceof EgovPackageError)) throw e;
  return e;
}

function entry(entries: UnzippedEntry[], name: string): UnzippedEntry {
  // Entries sit in the <proc_id>/ folder; tests name them by their bare name.
  const found = entries.find((e) => e.name.slice(e.name.indexOf('/') + 1) === name);
  if (!found) throw new Error(`no ${name} in the ZIP (has ${entries.map((e) => e.name).join(', ')})`);
  return found;
}

/** An attachment served as a Node Readable (how the blob store answers). */
function streamAttachment(fileName: string, data: Buffer, contentType = 'image/jpeg'): PackageAttachment {
  return {
    fileName,
    contentType,
    size: data.length,
    open: () => Readable.from([data.subarray(0, 1000), data.subarray(1000)], { objectMode: false }),
  };
}

/** The entries with their bare names (the <proc_id>/ folder is checked in the layout test). */
async function unzipBare(zip: Buffer): Promise<UnzippedEntry[]> {
  return (await unzip(zip)).map((e) => ({ ...e, name: bare(e.name) }));
}

describe(buildPackage.name, () => {
  describe.each(Object.keys(VALID_FORMS))('%s', (code) => {
    const pdf = bytes(100_000, 1);
    const jpg = bytes(3_000, 2);
    const empty = Buffer.alloc(0);
    let pkg: EgovPackage;
    let entries: UnzippedEntry[];

    beforeAll(async () => {
      const input = packageInput(code, {
        attachments: [
          attachment('雇用契約書（写し）.pdf', pdf),
          streamAttachment('写真.jpg', jpg),
          attachment('empty.txt', empty, 'text/plain'),
        ],
      });
      pkg = await buildPackage(input, { createdAt: CREATED_AT });
      entries = await unzip(pkg.zip);
    });

    it('unzips to <proc_id>/kousei.xml, the 申請書 XML and the attachments, in that order', () => {
      const names = ['kousei.xml', formFile(code), '雇用契約書（写し）.pdf', '写真.jpg', 'empty.txt'].map(
        (n) => `${EGOV_PROCEDURES[code].procId}/${n}`,
      );
      expect(entries.map((e) => e.name)).toEqual(names);
      expect(pkg.files).toEqual(names);
    });

    it('holds the attachments byte for byte', () => {
      expect(entry(entries, '雇用契約書（写し）.pdf').data.equals(pdf)).toBe(true);
      expect(entry(entries, '写真.jpg').data.equals(jpg)).toBe(true);
      expect(entry(entries, 'empty.txt').data).toHaveLength(0);
    });

    it('lists every attachment in kousei.xml (添付書類属性情報, after 管理情報) and the 申請書 in 申請書属性情報', () => {
      const kousei = parseXml(entry(entries, 'kousei.xml').data);
      const listed = elements(kousei, '添付書類属性情報').map((e) => ({
        kind: onlyText(e, '添付種別'),
        title: onlyText(e, '添付書類名称'),
        name: onlyText(e, '添付書類ファイル名称'),
        submit: onlyText(e, '提出情報'),
      }));
      expect(listed).toEqual([
        { kind: '添付', title: '雇用契約書（写し）', name: '雇用契約書（写し）.pdf', submit: '1' },
        { kind: '添付', title: '写真', name: '写真.jpg', submit: '1' },
        { kind: '添付', title: 'empty', name: 'empty.txt', submit: '1' },
      ]);
      expect(onlyText(kousei, '手続ID')).toBe(EGOV_PROCEDURES[code].procId);
      expect(onlyText(elements(kousei, '申請書属性情報')[0], '申請書ファイル名称')).toBe(formFile(code));
    });

    it('has two XML documents that parse cleanly', () => {
      expect(parseXml(entry(entries, 'kousei.xml').data).documentElement!.tagName).toBe('DataRoot');
      const form = parseXml(entry(entries, formFile(code)).data);
      expect(onlyText(form, '様式ID')).toBe(formFile(code).slice(0, 18));
    });

    it('sets the UTF-8 name flag on every entry', () => {
      for (const e of entries) expect(e.generalPurposeBitFlag & 0x800).toBe(0x800);
    });

    it('puts the 個人番号 in the 申請書 XML only', () => {
      const hasMyNumber = 'myNumber' in VALID_FORMS[code];
      for (const e of entries) {
        expect(e.data.includes(MY_NUMBER)).toBe(hasMyNumber && bare(e.name) === formFile(code));
        expect(e.name).not.toContain(MY_NUMBER);
      }
      expect(pkg.fileName).not.toContain(MY_NUMBER);
    });

    it('returns the proc_id, a file name and the SHA-256 of the ZIP', () => {
      expect(pkg.procId).toBe(EGOV_PROCEDURES[code].procId);
      expect(pkg.fileName).toBe(`${EGOV_PROCEDURES[code].procId}_20250401000000.zip`);
      expect(pkg.sha256).toBe(sha256(pkg.zip));
    });
  });

  it('writes dates into the zipped 申請書 as 元号/年/月/日 elements (平成2年4月1日 → 7, 02, 04, 01)', async () => {
    const pkg = await buildPackage(packageInput('shaho-shutoku'), { createdAt: CREATED_AT });
    const form = parseXml(entry(await unzipBare(pkg.zip), formFile('shaho-shutoku')).data);
    const birth = elements(form, 'P1_生年月日')[0];
    expect(['P1_元号', 'P1_年', 'P1_月', 'P1_日'].map((n) => onlyText(birth, n))).toEqual(['7', '02', '04', '01']);
  });

  it('escapes the applicant and attachment names in kousei.xml', async () => {
    const name = `<&>"' 田中 </氏名><injected/>`;
    const pkg = await buildPackage(
      packageInput('shaho-shutoku', { applicant: { name }, attachments: [attachment(`a&b<c>'d'.pdf`, bytes(10))] }),
      { createdAt: CREATED_AT },
    );
    const entries = await unzipBare(pkg.zip);
    const kousei = parseXml(entry(entries, 'kousei.xml').data);
    expect(onlyText(elements(kousei, '申請者情報')[0], '氏名')).toBe(name);
    expect(elements(kousei, 'injected')).toHaveLength(0);
    // < and > are not allowed in file names (Windows), & and ' are and survive escaping.
    expect(onlyText(elements(kousei, '添付書類属性情報')[0], '添付書類ファイル名称')).toBe(`a&b_c_'d'.pdf`);
    expect(entries.map((e) => e.name)).toContain(`a&b_c_'d'.pdf`);
  });

  it('gives duplicate attachment names unique names, clear of kousei.xml and the form file', async () => {
    const files = ['給与明細.pdf', '給与明細.pdf', '給与明細.PDF', 'kousei.xml', '495013521019030837_01.xml'].map((n, i) =>
      attachment(n, bytes(50 + i, i)),
    );
    const pkg = await buildPackage(packageInput('shaho-shutoku', { attachments: files }), { createdAt: CREATED_AT });
    const entries = await unzipBare(pkg.zip);
    expect(entries.map((e) => e.name)).toEqual([
      'kousei.xml',
      '495013521019030837_01.xml',
      '給与明細.pdf',
      '給与明細_2.pdf',
      '給与明細_3.PDF',
      'kousei_2.xml',
      '495013521019030837_01_2.xml',
    ]);
    // Each name still holds its own bytes, and kousei.xml lists the new names.
    entries.slice(2).forEach((e, i) => expect(e.data.equals(bytes(50 + i, i))).toBe(true));
    const listed = elements(parseXml(entry(entries, 'kousei.xml').data), '添付書類属性情報').map((e) =>
      onlyText(e, '添付書類ファイル名称'),
    );
    expect(listed).toEqual(entries.slice(2).map((e) => e.name));
    expect(parseXml(entry(entries, 'kousei.xml').data).documentElement!.tagName).toBe('DataRoot');
  });

  it('flattens path-like attachment names (no directories, no .., no absolute paths)', async () => {
    const names = ['../../etc/passwd', 'C:\\Users\\me\\源泉徴収票.pdf', '/var/data/x.pdf', 'sub/dir/../y.pdf', '..'];
    const pkg = await buildPackage(packageInput('shaho-shutoku', { attachments: names.map((n, i) => attachment(n, bytes(20, i))) }), {
      createdAt: CREATED_AT,
    });
    const entries = await unzipBare(pkg.zip); // yauzl (strictFileNames) itself refuses absolute, .. and \ names
    expect(entries.slice(2).map((e) => e.name)).toEqual(['passwd', '源泉徴収票.pdf', 'x.pdf', 'y.pdf', 'attachment']);
    for (const e of entries) expect(e.name).not.toMatch(/[/\\]|\.\./);
  });

  it('builds a package without attachments', async () => {
    const pkg = await buildPackage(packageInput('koyo-shutoku'), { createdAt: CREATED_AT });
    expect((await unzipBare(pkg.zip)).map((e) => e.name)).toEqual(['kousei.xml', '495008680033800330_01.xml']);
  });

  it('is byte-identical when rebuilt with the same input and time', async () => {
    const input = () => packageInput('shaho-soshitsu', { attachments: [attachment('a.pdf', bytes(5000))] });
    const [a, b] = [await buildPackage(input(), { createdAt: CREATED_AT }), await buildPackage(input(), { createdAt: CREATED_AT })];
    expect(a.sha256).toBe(b.sha256);
  });

  describe('attachments', () => {
    it('reads each attachment twice without a signer (hash, then zip) and once with one', async () => {
      const a = attachment('a.pdf', bytes(10_000));
      await buildPackage(packageInput('shaho-shutoku', { attachments: [a] }));
      expect(a.opens()).toBe(2);
      const b = attachment('b.pdf', bytes(10_000));
      await buildPackage(packageInput('shaho-shutoku', { attachments: [b] }), { signer: { sign: async (files) => [...files] } });
      expect(b.opens()).toBe(1);
    });

    it('refuses an attachment whose bytes changed between the hashing read and the zipping read', async () => {
      let opens = 0;
      const changing: PackageAttachment = {
        fileName: 'a.pdf',
        contentType: 'application/pdf',
        size: 4,
        open: () => Readable.from([Buffer.from(opens++ === 0 ? 'abcd' : 'abcX')], { objectMode: false }),
      };
      const e = await packageError(buildPackage(packageInput('shaho-shutoku', { attachments: [changing] })));
      expect([e.code, e.path]).toEqual(['egov_package_attachment_invalid', 'attachments[0]']);
      expect(e.message).toMatch(/changed/);
    });

    it.each([
      ['fewer bytes than declared', 11],
      ['more bytes than declared', 9],
    ])('refuses an attachment with %s', async (_what, declared) => {
      const a = { ...attachment('a.pdf', bytes(10)), size: declared };
      const e = await packageError(buildPackage(packageInput('shaho-shutoku', { attachments: [a] })));
      expect(e.code).toBe('egov_package_attachment_invalid');
    });

    it('stops reading (and destroys) a stream soon after the first byte over the declared size', async () => {
      let stream: Readable | undefined;
      let served = 0;
      const a: PackageAttachment = {
        fileName: 'a.pdf',
        contentType: 'application/pdf',
        size: 100,
        open: () => {
          stream = new Readable({
            read() {
              served += 64;
              this.push(served <= 1024 * 1024 ? Buffer.alloc(64) : null);
            },
          });
          return stream;
        },
      };
      const e = await packageError(buildPackage(packageInput('shaho-shutoku', { attachments: [a] })));
      expect(e.code).toBe('egov_package_attachment_invalid');
      expect(stream!.destroyed).toBe(true);
      expect(served).toBeLessThan(64 * 1024); // a 1 MiB source was cut off, not drained
    });

    it('refuses string chunks (a stream not in binary mode)', async () => {
      const a: PackageAttachment = { fileName: 'a.txt', contentType: 'text/plain', size: 3, open: () => Readable.from(['abc']) };
      expect((await packageError(buildPackage(packageInput('shaho-shutoku', { attachments: [a] })))).code).toBe(
        'egov_package_attachment_invalid',
      );
    });

    it('refuses an attachment over the per-file limit before opening anything', async () => {
      const small = attachment('small.pdf', bytes(10));
      const big = attachment('big.pdf', bytes(2000));
      const e = await packageError(
        buildPackage(packageInput('shaho-shutoku', { attachments: [small, big] }), { maxAttachmentBytes: 1999 }),
      );
      expect([e.code, e.path]).toEqual(['egov_package_too_large', 'attachments[1]']);
      expect(small.opens() + big.opens()).toBe(0);
    });

    it('refuses attachments over the total limit before opening anything', async () => {
      const files = [attachment('a.pdf', bytes(600)), attachment('b.pdf', bytes(600))];
      const e = await packageError(buildPackage(packageInput('shaho-shutoku', { attachments: files }), { maxTotalBytes: 1000 }));
      expect(e.code).toBe('egov_package_too_large');
      expect(files[0].opens()).toBe(0);
    });

    it('refuses a declared size that is not a byte count', async () => {
      const a = { ...attachment('a.pdf', bytes(10)), size: Number.NaN };
      expect((await packageError(buildPackage(packageInput('shaho-shutoku', { attachments: [a] })))).code).toBe(
        'egov_package_invalid_input',
      );
    });

    it.each(['hashing', 'zipping'])('passes a source error through unchanged (failure while %s)', async (phase) => {
      const boom = new Error('blob store unavailable');
      let opens = 0;
      const failing: PackageAttachment = {
        fileName: 'a.pdf',
        contentType: 'application/pdf',
        size: 20,
        open: () => {
          const failNow = phase === 'hashing' || opens++ > 0;
          return (async function* () {
            yield Buffer.alloc(10);
            if (failNow) throw boom;
            yield Buffer.alloc(10);
          })();
        },
      };
      expect(
        await rejection(buildPackage(packageInput('shaho-shutoku', { attachments: [attachment('ok.pdf', bytes(10)), failing] }))),
      ).toBe(boom);
    });

    it('passes an error thrown by open() through', async () => {
      const boom = new Error('no such blob');
      let opens = 0;
      const a: PackageAttachment = {
        ...attachment('a.pdf', bytes(10)),
        open: () => {
          if (opens++ > 0) throw boom;
          return Readable.from([bytes(10)], { objectMode: false });
        },
      };
      expect(await rejection(buildPackage(packageInput('shaho-shutoku', { attachments: [a] })))).toBe(boom);
    });
  });

  it('refuses a bad form before reading any attachment', async () => {
    const a = attachment('a.pdf', bytes(10));
    const form = { ...VALID_FORMS['shaho-shutoku'], birthDate: '1990-02-30' };
    const e = await packageError(buildPackage(packageInput('shaho-shutoku', { form, attachments: [a] })));
    expect(e.code).toBe('egov_package_invalid_form');
    expect(a.opens()).toBe(0);
  });

  describe('signer', () => {
    const input = (): PackageInput =>
      packageInput('shaho-shutoku', { attachments: [attachment('契約書.pdf', bytes(30_000, 7)), attachment('契約書.pdf', bytes(40, 8))] });

    /** Signs like the intended XML-DSig signer would: kousei.xml replaced, optionally a file added. */
    function fakeSigner(extra?: PackageFile): PackageSigner & { calls: PackageFile[][] } {
      const calls: PackageFile[][] = [];
      return {
        calls,
        async sign(files) {
          calls.push(files.map((f) => ({ name: f.name, data: Buffer.from(f.data) })));
          const signed = files.map((f) =>
            f.name === 'kousei.xml'
              ? {
                  name: f.name,
                  data: Buffer.from(f.data.toString('utf8').replace('</構成情報>', '</構成情報>\n  <署名情報>fake</署名情報>')),
                }
              : f,
          );
          return extra ? [...signed, extra] : signed;
        },
      };
    }

    it('is called once with every file, with the names and bytes an unsigned package holds', async () => {
      const signer = fakeSigner();
      await buildPackage(input(), { signer, createdAt: CREATED_AT });
      const unsigned = await unzipBare((await buildPackage(input(), { createdAt: CREATED_AT })).zip);
      expect(signer.calls).toHaveLength(1);
      expect(signer.calls[0].map((f) => f.name)).toEqual(['kousei.xml', '495013521019030837_01.xml', '契約書.pdf', '契約書_2.pdf']);
      signer.calls[0].forEach((f, i) => expect(f.data.equals(unsigned[i].data)).toBe(true));
    });

    it('zips exactly what the signer returns, in its order', async () => {
      const signature: PackageFile = { name: 'signature.xml', data: Buffer.from('<?xml version="1.0"?><sig/>') };
      const signer = fakeSigner(signature);
      const pkg = await buildPackage(input(), { signer, createdAt: CREATED_AT });
      const entries = await unzipBare(pkg.zip);
      expect(entries.map((e) => e.name)).toEqual([
        'kousei.xml',
        '495013521019030837_01.xml',
        '契約書.pdf',
        '契約書_2.pdf',
        'signature.xml',
      ]);
      expect(pkg.files).toEqual(entries.map((e) => `${pkg.procId}/${e.name}`));
      const kousei = parseXml(entry(entries, 'kousei.xml').data);
      expect(onlyText(kousei, '署名情報')).toBe('fake');
      expect(entry(entries, 'signature.xml').data.equals(signature.data)).toBe(true);
      expect(entry(entries, '契約書.pdf').data.equals(bytes(30_000, 7))).toBe(true);
    });

    it.each<[string, (files: readonly PackageFile[]) => unknown]>([
      ['drops a file', (files) => files.filter((f) => f.name !== '495013521019030837_01.xml')],
      [
        'changes an attachment',
        (files) => files.map((f) => (f.name === '契約書.pdf' ? { ...f, data: Buffer.concat([f.data, Buffer.from('x')]) } : f)),
      ],
      ['returns a path as a name', (files) => [...files, { name: '../evil.xml', data: Buffer.from('x') }]],
      ['returns a name twice (ignoring case)', (files) => [...files, { name: 'KOUSEI.xml', data: Buffer.from('x') }]],
      [
        'returns a string instead of a Buffer',
        (files) => files.map((f) => (f.name === 'kousei.xml' ? { ...f, data: f.data.toString('utf8') } : f)),
      ],
      ['returns no list', () => undefined],
    ])('refuses a signer that %s', async (_what, sign) => {
      const signer = { sign: async (files: readonly PackageFile[]) => sign(files) as PackageFile[] };
      expect((await packageError(buildPackage(input(), { signer }))).code).toBe('egov_package_signer_output_invalid');
    });

    it('passes a signer failure through', async () => {
      const boom = new Error('HSM unavailable');
      expect(await rejection(buildPackage(input(), { signer: { sign: () => Promise.reject(boom) } }))).toBe(boom);
    });
  });
});

/** The check at submit time (SubmissionsService.dryRun): the same refusals as buildPackage, no package built. */
describe(checkPackage.name, () => {
  function syncError(f: () => void): EgovPackageError {
    try {
      f();
    } catch (e) {
      if (e instanceof EgovPackageError) return e;
      throw e;
    }
    throw new Error('expected an EgovPackageError, nothing was thrown');
  }

  it.each(Object.keys(VALID_FORMS))('accepts what buildPackage builds (%s), reading no attachment', async (code) => {
    const a = attachment('a.pdf', bytes(10));
    const input = packageInput(code, { attachments: [a] });
    expect(() => checkPackage(input)).not.toThrow();
    expect(a.opens()).toBe(0);
    await buildPackage(input);
  });

  // Every row has three elements: a shorter row would make jest pass `done` as the third argument.
  const bad: Array<[string, () => PackageInput, BuildPackageOptions]> = [
    ['a bad form', () => packageInput('shaho-shutoku', { form: { ...VALID_FORMS['shaho-shutoku'], birthDate: '1990-02-30' } }), {}],
    [
      'an office without its 事業所整理記号',
      () => packageInput('shaho-shutoku', { office: { ...OFFICE, pensionOfficeCode: undefined } }),
      {},
    ],
    ['an applicant without a name', () => packageInput('shaho-shutoku', { applicant: { ...APPLICANT, name: '' } }), {}],
    [
      'an attachment over the limit',
      () => packageInput('shaho-shutoku', { attachments: [attachment('big.pdf', bytes(2000))] }),
      { maxAttachmentBytes: 1999 },
    ],
    [
      'an attachment title that is not a string',
      () => packageInput('shaho-shutoku', { attachments: [{ ...attachment('a.pdf', bytes(1)), title: 5 as unknown as string }] }),
      {},
    ],
  ];
  it.each(bad)('refuses %s with the error buildPackage throws', async (_, input, options) => {
    const checked = syncError(() => checkPackage(input(), options));
    const built = await packageError(buildPackage(input(), options));
    expect([checked.code, checked.path, checked.message]).toEqual([built.code, built.path, built.message]);
  });
});
