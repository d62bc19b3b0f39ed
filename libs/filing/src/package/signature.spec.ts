import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Element } from '@xmldom/xmldom';
import { C14nCanonicalization } from 'xml-crypto';
import { RsaSha256 } from 'xml-crypto/lib/signature-algorithms';
import { buildPackage, buildWithdrawalPackage } from './package';
import { createXmlDsigSigner, DSIG_NS, verifyPackageSignature } from './signature';
import type { SignerKey } from './signature';
import type { EgovPackage, PackageFile } from './types';
import { APPLICANT, attachment, bytes, elements, onlyText, packageInput, parseXml, unzip, VALID_FORMS } from './test-helpers';

const CREATED_AT = new Date('2025-04-01T00:00:00Z');

/** A fresh RSA key and self-signed certificate from openssl (as a tenant's signing certificate would be). */
function opensslKey(dir: string, name: string): SignerKey {
  const key = join(dir, `${name}.key`);
  const crt = join(dir, `${name}.crt`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-days', '2', '-subj', `/CN=${name}`],
    {
      stdio: 'ignore',
    },
  );
  return { privateKeyPem: readFileSync(key, 'utf8'), certificatePem: readFileSync(crt, 'utf8') };
}

async function files(pkg: EgovPackage): Promise<PackageFile[]> {
  return (await unzip(pkg.zip)).map((e) => ({ name: e.name.slice(e.name.indexOf('/') + 1), data: e.data }));
}

const replace = (list: PackageFile[], name: string, f: (data: Buffer) => Buffer): PackageFile[] =>
  list.map((x) => (x.name === name ? { name, data: f(x.data) } : x));

describe('XML-DSig of the package', () => {
  let dir: string;
  let key: SignerKey;
  let other: SignerKey;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'charlotte-sig-'));
    key = opensslKey(dir, 'signer');
    other = opensslKey(dir, 'other');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe.each(Object.keys(VALID_FORMS))('%s', (code) => {
    let signed: PackageFile[];
    let formName: string;

    beforeAll(async () => {
      const pkg = await buildPackage(
        packageInput(code, {
          attachments: [attachment('雇用契約書.pdf', bytes(5000, 3))],
          proxyCertificate: { fileName: '提出代行証明書.pdf', data: bytes(700, 9) },
        }),
        { createdAt: CREATED_AT, signer: createXmlDsigSigner(key, CREATED_AT) },
      );
      signed = await files(pkg);
      formName = signed[1].name;
    });

    it('puts 署名情報 with one Signature right after 構成情報, before その他', () => {
      const doc = parseXml(signed[0].data);
      const names = Array.from(doc.documentElement!.childNodes)
        .filter((n) => n.nodeType === 1)
        .map((n) => n.nodeName);
      expect(names).toEqual(['様式ID', '様式バージョン', 'STYLESHEET', '構成情報', '署名情報', 'その他']);
      const sig = doc.getElementsByTagNameNS(DSIG_NS, 'Signature');
      expect(sig).toHaveLength(1);
      expect(sig[0].getAttribute('Id')).toBe('20250401090000');
      const refs = Array.from(doc.getElementsByTagNameNS(DSIG_NS, 'Reference')).map((r) => r.getAttribute('URI'));
      expect(refs).toEqual(['#構成情報', formName, '雇用契約書.pdf', '提出代行証明書.pdf']);
      const algs = Array.from(doc.getElementsByTagNameNS(DSIG_NS, '*'))
        .map((e) => e.getAttribute('Algorithm'))
        .filter(Boolean);
      expect(new Set(algs)).toEqual(
        new Set([
          'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
          'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
          'http://www.w3.org/2001/04/xmlenc#sha256',
        ]),
      );
    });

    it('lists the 提出代行証明書 as an attachment', () => {
      const kousei = parseXml(signed[0].data);
      const proxy = elements(kousei, '添付書類属性情報').find((e) => onlyText(e, '添付書類ファイル名称') === '提出代行証明書.pdf')!;
      expect(onlyText(proxy, '添付書類名称')).toBe('提出代行に関する証明書');
    });

    it('verifies, returning the certificate', () => {
      const result = verifyPackageSignature(signed);
      expect(result).toEqual({ ok: true, certificatePem: expect.stringContaining('BEGIN CERTIFICATE') });
      if (result.ok) expect(new X509Certificate(result.certificatePem).subject).toBe('CN=signer');
    });

    it('has a SignatureValue that xml-crypto verifies with the certificate public key over the canonical SignedInfo', () => {
      const doc = parseXml(signed[0].data);
      const signedInfo = doc.getElementsByTagNameNS(DSIG_NS, 'SignedInfo')[0] as Element;
      const canon = new C14nCanonicalization().process(signedInfo as never, {});
      expect(canon.startsWith(`<SignedInfo xmlns="${DSIG_NS}">`)).toBe(true);
      const value = doc.getElementsByTagNameNS(DSIG_NS, 'SignatureValue')[0].textContent!;
      expect(new RsaSha256().verifySignature(canon, key.certificatePem, value)).toBe(true);
      expect(new RsaSha256().verifySignature(canon, other.certificatePem, value)).toBe(false);
    });

    it('fails after a change to 構成情報', () => {
      const changed = replace(signed, 'kousei.xml', (d) =>
        Buffer.from(d.toString('utf8').replace('<申請種別>新規申請', '<申請種別>再提出')),
      );
      expect(verifyPackageSignature(changed)).toEqual({ ok: false, reason: 'the digest of #構成情報 does not match' });
    });

    it('fails after a change to the 申請書 file', () => {
      const changed = replace(signed, formName, (d) =>
        Buffer.from(d.toString('utf8').replace('<Xmit>0', '<Xmit>1').replace('_Xmit>0', '_Xmit>1')),
      );
      expect(verifyPackageSignature(changed)).toEqual({ ok: false, reason: `the digest of ${formName} does not match` });
    });

    it('fails after a change to an attachment, or when a file is not covered', () => {
      const changed = replace(signed, '雇用契約書.pdf', (d) => Buffer.concat([d, Buffer.from([0])]));
      expect(verifyPackageSignature(changed)).toEqual({ ok: false, reason: 'the digest of 雇用契約書.pdf does not match' });
      const extra = [...signed, { name: 'extra.pdf', data: Buffer.from('x') }];
      expect(verifyPackageSignature(extra)).toEqual({ ok: false, reason: 'the signature does not cover extra.pdf' });
    });
  });

  it('refuses a signature whose references leave a 申請書 file out', async () => {
    const pkg = await buildPackage(packageInput('shaho-shoyo'), { createdAt: CREATED_AT, signer: createXmlDsigSigner(key, CREATED_AT) });
    const list = await files(pkg);
    // Re-sign kousei.xml as if the 申請書 were not there, then put the 申請書 back.
    const partial = await createXmlDsigSigner(key, CREATED_AT).sign([
      { name: 'kousei.xml', data: Buffer.from(list[0].data.toString('utf8').replace(/\n\s*<署名情報>[\s\S]*<\/署名情報>/, '')) },
    ]);
    const result = verifyPackageSignature([partial[0], list[1]]);
    expect(result).toEqual({ ok: false, reason: `the signature does not cover ${list[1].name}` });
  });

  it('fails when the SignatureValue was made with another key', async () => {
    const pkg = await buildPackage(packageInput('shaho-shoyo'), { createdAt: CREATED_AT, signer: createXmlDsigSigner(key, CREATED_AT) });
    const list = await files(pkg);
    const otherCert = Buffer.from(other.certificatePem.replace(/-----[^-]+-----|\s/g, ''), 'base64').toString('base64');
    const swapped = replace(list, 'kousei.xml', (d) =>
      Buffer.from(d.toString('utf8').replace(/<X509Certificate>[^<]+</, `<X509Certificate>${otherCert}<`)),
    );
    expect(verifyPackageSignature(swapped)).toEqual({ ok: false, reason: 'the SignatureValue does not verify with the certificate' });
  });

  it('refuses an unsigned package, and a key that does not match the certificate', async () => {
    const pkg = await buildPackage(packageInput('shaho-shoyo'), { createdAt: CREATED_AT });
    expect(verifyPackageSignature(await files(pkg))).toEqual({ ok: false, reason: 'kousei.xml has 0 signatures' });
    expect(() => createXmlDsigSigner({ privateKeyPem: other.privateKeyPem, certificatePem: key.certificatePem })).toThrow(
      expect.objectContaining({ code: 'egov_package_invalid_input' }),
    );
    expect(() => createXmlDsigSigner({ privateKeyPem: 'garbage', certificatePem: key.certificatePem })).toThrow(/RSA key matching/);
  });

  describe('withdrawal (取下げ依頼)', () => {
    const requestedAt = new Date('2025-05-10T01:00:00Z');
    const input = {
      arriveId: '900201500024394100',
      procName: '健康保険・厚生年金保険被保険者資格取得届（単記用）（２０２４年１２月以降手続き）／電子申請',
      applicant: APPLICANT,
      reason: '重複して申請したため',
      requestedAt,
    };

    it('is a 9990000000000003 package with kousei.xml (取下げ依頼, 初回受付番号) and torisageirai.xml', async () => {
      const pkg = await buildWithdrawalPackage(input);
      expect(pkg.procId).toBe('9990000000000003');
      expect(pkg.files).toEqual(['9990000000000003/kousei.xml', '9990000000000003/torisageirai.xml']);
      const [kousei, torisage] = await files(pkg);
      const k = parseXml(kousei.data);
      expect(onlyText(k, '様式ID')).toBe('999000000000000009');
      expect(onlyText(k, '手続ID')).toBe('9990000000000003');
      expect(onlyText(k, '受付行政機関ID')).toBe('');
      expect(onlyText(k, '申請種別')).toBe('取下げ依頼');
      expect(onlyText(k, '初回受付番号')).toBe(input.arriveId);
      expect(onlyText(k, '手続名称')).toBe(input.procName);
      expect(onlyText(k, '申請書様式ID')).toBe('999000000000000003');
      expect(onlyText(k, '申請書ファイル名称')).toBe('torisageirai.xml');
      expect(elements(k, 'その他')).toHaveLength(0);
      const t = parseXml(torisage.data);
      expect(onlyText(t, '様式ID')).toBe('999000000000000003');
      expect(onlyText(t, 'STYLESHEET')).toBe('999000000000000003.xsl');
      const info = elements(t, '取下げ依頼情報')[0];
      expect(
        Array.from(info.childNodes)
          .filter((n) => n.nodeType === 1)
          .map((n) => n.nodeName),
      ).toEqual(['到達番号', '手続名称', '申請者氏名', '依頼年月日', '理由']);
      expect(onlyText(info, '到達番号')).toBe(input.arriveId);
      expect(onlyText(info, '申請者氏名')).toBe(APPLICANT.name);
      expect(['年', '月', '日'].map((n) => onlyText(info, n))).toEqual(['2025', '05', '10']);
      expect(onlyText(info, '理由')).toBe(input.reason);
    });

    it('is signed over both files when a signer is given', async () => {
      const pkg = await buildWithdrawalPackage({ ...input, signer: createXmlDsigSigner(key, requestedAt) });
      const list = await files(pkg);
      expect(verifyPackageSignature(list).ok).toBe(true);
      expect(
        verifyPackageSignature(replace(list, 'torisageirai.xml', (d) => Buffer.from(d.toString('utf8').replace('重複', '誤り')))).ok,
      ).toBe(false);
    });

    it.each([
      ['a short arrive_id', { arriveId: '12345' }, 'arriveId'],
      ['no reason', { reason: ' ' }, 'reason'],
      ['no applicant name', { applicant: { name: '' } }, 'applicant.name'],
    ])('refuses %s', async (_what, patch, path) => {
      await expect(buildWithdrawalPackage({ ...input, ...patch })).rejects.toMatchObject({ code: 'egov_package_invalid_input', path });
    });
  });
});
