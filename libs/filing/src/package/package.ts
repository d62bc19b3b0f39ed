import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import * as yazl from 'yazl';
import { EgovPackageError } from './errors';
import { isSafeFileName, uniqueSafeFileNames } from './file-names';
import { buildFormXml, formFileName, formHeader, jstDate } from './form-xml';
import { ARRIVE_ID_RE, buildKouseiXml, KOUSEI_FILE_NAME, kouseiXml, WITHDRAWAL_KOUSEI_FORM_ID } from './kousei-xml';
import { resolveProcId, WITHDRAWAL_PROC_ID } from './procedure-ids';
import { assertXmlText, serializeXml } from './xml-writer';
import type {
  AttachmentFileInfo,
  AttachmentSource,
  BuildPackageOptions,
  EgovPackage,
  PackageAttachment,
  PackageFile,
  PackageInput,
  PackageSigner,
  WithdrawalInput,
} from './types';

/**
 * Builds the ZIP that e-Gov's `POST /apply` takes (base64 in `send_file.file_data`).
 * Layout as e-Gov's own skeletons (the 手続選択 API's ZIP, reproduced by
 * ippoan/egov-shinsei-sdk tests/integration/helpers/test-data-builder.ts): one
 * folder named after the 手続ID holding every file flat:
 *
 *   <proc_id>/kousei.xml             構成管理 (kousei-xml.ts), signed when a signer is given
 *   <proc_id>/<様式ID>_01.xml         the 申請書 XML (form-xml.ts)
 *   <proc_id>/<attachments>          flat, safe, unique names (file-names.ts), UTF-8 flag set
 *
 * Names inside kousei.xml and the signature's Reference URIs are the bare file
 * names (no folder), as in the skeletons.
 *
 * Memory. e-Gov takes the package inline as base64 JSON, so the whole ZIP has
 * to be in memory once anyway; the builder holds nothing more than that:
 * - Without a signer, attachments are never buffered. They are read twice
 *   through `open()`: first to check size and hash (constant memory), then
 *   streamed into the ZIP; the second read must match the first, or the build
 *   fails (`egov_package_attachment_invalid`), so the package never holds
 *   bytes other than those checked. Peak ≈ the ZIP itself ≈ the sum of
 *   attachment sizes (PDF/JPEG barely deflate) plus a few KB of XML, bounded by
 *   `maxTotalBytes` (default 50 MiB; each attachment ≤ `maxAttachmentBytes`,
 *   default 20 MiB = our upload limit).
 * - With a signer, every file is handed over as a Buffer (the signature
 *   digests each file's bytes), so attachments are read once into memory:
 *   peak ≈ 2 × the total (the files and the ZIP).
 * The caller's base64 string adds 4/3 × the ZIP on top. Sizes are checked
 * against the declared ones before anything is read, and a stream yielding
 * more than declared is cut off at the first byte too many, so a lying source
 * cannot push memory past the bound.
 *
 * Signing: `options.signer` (signature.ts createXmlDsigSigner) gets every file
 * with its final bare name and bytes and returns them with kousei.xml replaced
 * by the signed copy. What it returns is what is zipped, in its order, after
 * checks: names safe and unique, every input file still there, attachments
 * byte-identical. A sharoushi's 提出代行証明書 (`proxyCertificate`) is an
 * attachment like the others and is signed with them.
 */
export const DEFAULT_MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;
export const DEFAULT_MAX_TOTAL_BYTES = 50 * 1024 * 1024;

const sha256Hex = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** One file to zip: bytes in hand, or an attachment to stream (checked against what kousei.xml says). */
type ZipEntry =
  { name: string; data: Buffer } | { name: string; attachment: PackageAttachment; expected: AttachmentFileInfo; path: string };

function attachmentError(path: string, what: string): EgovPackageError {
  return new EgovPackageError('egov_package_attachment_invalid', `${path} ${what}`, path);
}

/**
 * Reads an attachment's bytes, counting and hashing them. Refuses string
 * chunks (a stream not in binary mode would corrupt the file), more bytes than
 * declared (stops at once), fewer than declared, and, when `expectedSha256` is
 * given, bytes that differ from the first read. Breaking out of the loop
 * closes the source (a Node stream is destroyed by its iterator's return()).
 */
async function* checkedChunks(source: AttachmentSource, size: number, path: string, expectedSha256?: string): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  let read = 0;
  for await (const chunk of source as AsyncIterable<unknown>) {
    if (!(chunk instanceof Uint8Array)) throw attachmentError(path, 'yielded a string or object, not bytes');
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    read += bytes.length;
    if (read > size) throw attachmentError(path, `has more bytes than its declared size (${size})`);
    hash.update(bytes);
    yield bytes;
  }
  if (read !== size) throw attachmentError(path, `has ${read} bytes, its declared size is ${size}`);
  if (expectedSha256 !== undefined && hash.digest('hex') !== expectedSha256) {
    throw attachmentError(path, 'changed between the read that hashed it and the read that zipped it');
  }
}

function openAttachment(a: PackageAttachment, path: string): AttachmentSource {
  const source = a.open();
  if (source === null || typeof source !== 'object' || !(Symbol.asyncIterator in source))
    throw attachmentError(path, 'open() did not return a stream');
  return source;
}

/** Reads an attachment whole (for the signer), bounded by its declared size. */
async function readAttachment(a: PackageAttachment, path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of checkedChunks(openAttachment(a, path), a.size, path)) chunks.push(chunk);
  return Buffer.concat(chunks, a.size);
}

/** Hashes an attachment in constant memory. */
async function digestAttachment(a: PackageAttachment, path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of checkedChunks(openAttachment(a, path), a.size, path)) hash.update(chunk);
  return hash.digest('hex');
}

/** Declared metadata and limits, checked before anything is read. */
function checkDeclared(attachments: readonly PackageAttachment[], maxAttachmentBytes: number, maxTotalBytes: number): void {
  let total = 0;
  attachments.forEach((a, i) => {
    const path = `attachments[${i}]`;
    if (typeof a.fileName !== 'string') throw new EgovPackageError('egov_package_invalid_input', `${path}.fileName must be a string`, path);
    if (typeof a.contentType !== 'string' || a.contentType === '') {
      throw new EgovPackageError('egov_package_invalid_input', `${path}.contentType is required`, path);
    }
    if (typeof a.open !== 'function') throw new EgovPackageError('egov_package_invalid_input', `${path}.open must be a function`, path);
    if (!Number.isSafeInteger(a.size) || a.size < 0)
      throw new EgovPackageError('egov_package_invalid_input', `${path}.size must be a byte count`, path);
    if (a.size > maxAttachmentBytes) {
      throw new EgovPackageError('egov_package_too_large', `${path} is ${a.size} bytes, the limit is ${maxAttachmentBytes}`, path);
    }
    total += a.size;
  });
  if (total > maxTotalBytes) {
    throw new EgovPackageError(
      'egov_package_too_large',
      `the attachments total ${total} bytes, the limit is ${maxTotalBytes}`,
      'attachments',
    );
  }
}

/**
 * What the signer returned must still be a package kousei.xml describes:
 * names a ZIP can safely carry and unique (ignoring case), every file it was
 * given still present, attachments byte-identical.
 */
function checkSignerOutput(output: unknown, input: readonly PackageFile[], attachments: readonly AttachmentFileInfo[]): PackageFile[] {
  const fail = (what: string): EgovPackageError =>
    new EgovPackageError('egov_package_signer_output_invalid', `the signer ${what}`, 'signer');
  if (!Array.isArray(output)) throw fail('did not return a list of files');
  const byName = new Map<string, PackageFile>();
  const keys = new Set<string>();
  for (const f of output as unknown[]) {
    if (typeof f !== 'object' || f === null) throw fail('returned something that is not a file');
    const { name, data } = f as Partial<PackageFile>;
    if (typeof name !== 'string' || !isSafeFileName(name)) throw fail('returned a file whose name is not a safe flat file name');
    if (!Buffer.isBuffer(data)) throw fail(`returned ${name} without a Buffer`);
    if (keys.has(name.toLowerCase())) throw fail(`returned ${name} twice`);
    keys.add(name.toLowerCase());
    byName.set(name, { name, data });
  }
  for (const f of input) if (!byName.has(f.name)) throw fail(`dropped ${f.name}`);
  for (const a of attachments) {
    const out = byName.get(a.fileName)!;
    if (out.data.length !== a.size || sha256Hex(out.data) !== a.sha256) throw fail(`changed the attachment ${a.fileName}`);
  }
  return [...byName.values()];
}

/** Writes the entries in order and collects the ZIP. Rejects on the first error of any source. */
function writeZip(entries: readonly ZipEntry[], mtime: Date): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const out = zip.outputStream as Readable;
  const result = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const fail = (err: unknown): void => {
      out.destroy();
      reject(err);
    };
    zip.on('error', fail);
    out.on('error', fail);
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    out.on('end', () => resolve(Buffer.concat(chunks)));
  });
  for (const entry of entries) {
    if ('data' in entry) {
      zip.addBuffer(entry.data, entry.name, { mtime });
      continue;
    }
    const { attachment, expected, path } = entry;
    // Lazy: yazl opens one attachment at a time, when its turn in the ZIP comes.
    zip.addReadStreamLazy(entry.name, { mtime, size: expected.size }, (cb) => {
      let stream: Readable;
      try {
        stream = Readable.from(checkedChunks(openAttachment(attachment, path), expected.size, path, expected.sha256), {
          objectMode: false,
        });
      } catch (err) {
        cb(err, Readable.from([]));
        return;
      }
      // yazl does not listen for errors on the streams it is given: without this a failing source would be an uncaught 'error'.
      stream.on('error', (err) => zip.emit('error', err));
      cb(null, stream);
    });
  }
  zip.end();
  return result;
}

/** `YYYYMMDDHHmmss` in UTC. */
function compactUtc(date: Date): string {
  return date.toISOString().replace(/\D/g, '').slice(0, 14);
}

/** 添付書類名称 of a 提出代行証明書. UNVERIFIED: no public skeleton shows a dedicated attribute for it; it is an ordinary 添付. */
export const PROXY_CERTIFICATE_TITLE = '提出代行に関する証明書';

/** The 提出代行証明書 as an attachment read from memory. */
function proxyAttachment(proxy: NonNullable<PackageInput['proxyCertificate']>): PackageAttachment {
  if (typeof proxy !== 'object' || proxy === null || typeof proxy.fileName !== 'string' || !Buffer.isBuffer(proxy.data)) {
    throw new EgovPackageError('egov_package_invalid_input', 'proxyCertificate needs a fileName and a Buffer', 'proxyCertificate');
  }
  const lower = proxy.fileName.toLowerCase();
  const contentType = lower.endsWith('.pdf') ? 'application/pdf' : lower.endsWith('.xml') ? 'application/xml' : 'application/octet-stream';
  return {
    fileName: proxy.fileName,
    contentType,
    size: proxy.data.length,
    title: PROXY_CERTIFICATE_TITLE,
    open: () => Readable.from([proxy.data]),
  };
}

/** Signs (when asked) and zips the files into `<procId>/`. */
async function assemble(
  procId: string,
  files: PackageFile[],
  streamed: { attachment: PackageAttachment; expected: AttachmentFileInfo; path: string }[],
  attachments: readonly AttachmentFileInfo[],
  signer: PackageSigner | undefined,
  createdAt: Date,
): Promise<EgovPackage> {
  let entries: ZipEntry[];
  if (signer) {
    const signed = await signer.sign(files.map((f) => ({ ...f })));
    entries = checkSignerOutput(signed, files, attachments);
  } else {
    entries = [...files, ...streamed.map((s) => ({ name: s.expected.fileName, ...s }))];
  }
  const zip = await writeZip(
    entries.map((e) => ({ ...e, name: `${procId}/${e.name}` })),
    createdAt,
  );
  return {
    zip,
    fileName: `${procId}_${compactUtc(createdAt)}.zip`,
    sha256: sha256Hex(zip),
    files: entries.map((e) => `${procId}/${e.name}`),
    procId,
  };
}

/**
 * Builds the e-Gov package of one application (see the module comment for
 * layout, memory bound and signing). The form must already be validated
 * (`complete`) and normalised; the builder refuses rather than repairs. Throws
 * EgovPackageError (codes in errors.ts); a source's own error (e.g. the blob
 * store failing) is passed through unchanged.
 */
export async function buildPackage(input: PackageInput, options: BuildPackageOptions = {}): Promise<EgovPackage> {
  const createdAt = options.createdAt ?? new Date();
  const { procId, sources, formName, formXml, names } = prepare(input, options, createdAt);

  // Sequential on purpose: one attachment open at a time keeps memory and blob-store connections bounded.
  const infos: AttachmentFileInfo[] = [];
  const buffers: Buffer[] = [];
  for (const [i, a] of sources.entries()) {
    const path = `attachments[${i}]`;
    let sha256: string;
    if (options.signer) {
      const data = await readAttachment(a, path);
      buffers.push(data);
      sha256 = sha256Hex(data);
    } else {
      sha256 = await digestAttachment(a, path);
    }
    infos.push(attachmentInfo(a, path, names[i], sha256));
  }

  const kousei = Buffer.from(buildKouseiXml(input, { forms: [{ fileName: formName }], attachments: infos }), 'utf8');
  const files: PackageFile[] = [
    { name: KOUSEI_FILE_NAME, data: kousei },
    { name: formName, data: formXml },
    ...(options.signer ? infos.map((info, i) => ({ name: info.fileName, data: buffers[i] })) : []),
  ];
  const streamed = options.signer ? [] : infos.map((info, i) => ({ attachment: sources[i], expected: info, path: `attachments[${i}]` }));
  return assemble(procId, files, streamed, infos, options.signer, createdAt);
}

/**
 * Everything buildPackage refuses that the user can fix (手続, office, form, applicant, declared
 * attachments), checked without reading an attachment, hashing, signing or zipping: the check at
 * submit time, so that the package itself is built once per submission, by the worker that sends
 * it. Throws the EgovPackageError that buildPackage would throw for the same input; attachments
 * are checked by their declared metadata only (their bytes are read when the package is built).
 */
export function checkPackage(input: PackageInput, options: Omit<BuildPackageOptions, 'signer'> = {}): void {
  const createdAt = options.createdAt ?? new Date();
  const { sources, formName, names } = prepare(input, options, createdAt);
  // kousei.xml as it will be, with each attachment's declared metadata (no digest yet).
  const infos = sources.map((a, i) => attachmentInfo(a, `attachments[${i}]`, names[i], '0'.repeat(64)));
  buildKouseiXml(input, { forms: [{ fileName: formName }], attachments: infos });
}

/** The part of a build that reads no attachment: 手続ID, declared sizes, the form XML and the file names. */
function prepare(input: PackageInput, options: Omit<BuildPackageOptions, 'signer'>, createdAt: Date) {
  const maxAttachmentBytes = options.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES;
  const maxTotalBytes = options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES;
  const procId = resolveProcId(input);
  const sources = [...input.attachments, ...(input.proxyCertificate ? [proxyAttachment(input.proxyCertificate)] : [])];
  checkDeclared(sources, maxAttachmentBytes, maxTotalBytes);

  // Built before any attachment is read: a bad form fails fast and cheaply.
  const formName = formFileName(input.procedure, 1);
  const formXml = Buffer.from(buildFormXml({ ...input, submittedAt: createdAt }), 'utf8');
  const names = uniqueSafeFileNames(
    sources.map((a) => a.fileName),
    [KOUSEI_FILE_NAME, formName],
  );
  return { procId, sources, formName, formXml, names };
}

function attachmentInfo(a: PackageAttachment, path: string, fileName: string, sha256: string): AttachmentFileInfo {
  if (a.title !== undefined && typeof a.title !== 'string')
    throw new EgovPackageError('egov_package_invalid_input', `${path}.title must be a string`, path);
  return { fileName, contentType: a.contentType, size: a.size, sha256, ...(a.title ? { title: a.title } : {}) };
}

/** The file name of the 取下げ依頼 XML and its 様式. */
export const WITHDRAWAL_FILE_NAME = 'torisageirai.xml';
export const WITHDRAWAL_FORM_ID = '999000000000000003';

/**
 * The package of a 取下げ依頼 (withdrawal request) of an arrived filing:
 * kousei.xml for 手続ID 9990000000000003 with 申請種別 取下げ依頼 and
 * 初回受付番号 = the filing's arrive_id, and torisageirai.xml (様式ID
 * 999000000000000003: 取下げ依頼情報 {到達番号, 手続名称, 申請者氏名,
 * 依頼年月日 {年, 月, 日}, 理由}), shapes from kufu/kiji spec/fixtures/base_files.
 */
export async function buildWithdrawalPackage(input: WithdrawalInput): Promise<EgovPackage> {
  const requestedAt = input.requestedAt ?? new Date();
  if (typeof input.arriveId !== 'string' || !ARRIVE_ID_RE.test(input.arriveId)) {
    throw new EgovPackageError('egov_package_invalid_input', 'arriveId must be 16 to 18 digits', 'arriveId');
  }
  for (const key of ['procName', 'reason'] as const) {
    const v = input[key];
    if (typeof v !== 'string' || v.trim() === '') throw new EgovPackageError('egov_package_invalid_input', `${key} is required`, key);
    assertXmlText(v, key);
  }
  if (typeof input.applicant?.name !== 'string' || input.applicant.name.trim() === '') {
    throw new EgovPackageError('egov_package_invalid_input', 'applicant.name is required', 'applicant.name');
  }
  assertXmlText(input.applicant.name, 'applicant.name');
  const [year, month, day] = jstDate(requestedAt).split('-');
  const torisage = serializeXml({
    name: 'DataRoot',
    children: [
      ...formHeader(WITHDRAWAL_FORM_ID, '0001'),
      {
        name: '取下げ依頼情報',
        children: [
          { name: '到達番号', text: input.arriveId },
          { name: '手続名称', text: input.procName },
          { name: '申請者氏名', text: input.applicant.name },
          {
            name: '依頼年月日',
            children: [
              { name: '年', text: year },
              { name: '月', text: month },
              { name: '日', text: day },
            ],
          },
          { name: '理由', text: input.reason },
        ],
      },
    ],
  });
  const kousei = kouseiXml({
    kouseiFormId: WITHDRAWAL_KOUSEI_FORM_ID,
    // The skeleton leaves 受付行政機関ID empty for 取下げ依頼 (kiji 9990000000000003_base_kousei.xml).
    agencyId: '',
    procId: WITHDRAWAL_PROC_ID,
    procName: input.procName,
    applyType: '取下げ依頼',
    firstArriveId: input.arriveId,
    applicant: input.applicant,
    contact: input.contact,
    attachments: [],
    submitTo: input.submitTo,
    forms: [{ fileName: WITHDRAWAL_FILE_NAME, formId: WITHDRAWAL_FORM_ID, formVersion: '0001', formName: '取下げ依頼XML' }],
  });
  const files: PackageFile[] = [
    { name: KOUSEI_FILE_NAME, data: Buffer.from(kousei, 'utf8') },
    { name: WITHDRAWAL_FILE_NAME, data: Buffer.from(torisage, 'utf8') },
  ];
  return assemble(WITHDRAWAL_PROC_ID, files, [], [], input.signer, requestedAt);
}
