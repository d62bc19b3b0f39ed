import { link, MailTemplate, v } from './layout';

/** The attachment renderer id libs/backup registers (the certificate PDF, made at send time). */
export const DELETION_CERTIFICATE_PDF = 'deletion-certificate-pdf';

/**
 * To each administrator recorded before the deletion: the 消去証明書 was issued. Vars: certificateId,
 * tenantCode, deletedOn (JST date), sha256 (of the signed certificate, canonical JSON). The PDF is
 * attached; the signed JSON is obtained from operator support.
 */
export const deletionCertificateTemplate: MailTemplate = {
  attachment: DELETION_CERTIFICATE_PDF,
  render(vars, ctx) {
    const id = v(vars, 'certificateId');
    const code = v(vars, 'tenantCode');
    const on = v(vars, 'deletedOn');
    const hash = v(vars, 'sha256');
    const key = link(ctx, '/.well-known/charlotte-signing-key.json');
    return {
      ja: {
        subject: `データ消去証明書の発行（テナントコード ${code}）`,
        paragraphs: [
          `ご契約終了に伴い、テナントコード ${code} のデータを消去し、消去証明書を発行しました。`,
          `証明書 ID：${id}\n消去日：${on}\n証明書の SHA-256：${hash}`,
          '消去証明書（PDF）を添付します。署名付きの証明書（JSON）が必要な場合は、証明書 ID を添えて運用窓口にお問い合わせください。',
          `署名の検証に使う公開鍵：${key}`,
        ],
      },
      en: {
        subject: `Deletion certificate issued (tenant ${code})`,
        paragraphs: [
          `Following the end of your contract, the data of tenant ${code} was deleted and a deletion certificate was issued.`,
          `Certificate ID: ${id}\nDeleted on: ${on}\nSHA-256 of the certificate: ${hash}`,
          'The certificate (PDF) is attached. For the signed certificate (JSON), contact operator support with the certificate ID.',
          `Public key to verify the signature: ${key}`,
        ],
      },
    };
  },
};
