/**
 * Every sealing purpose of libs/filing, in one place (see libs/applications/src/sealing-purposes.ts:
 * the purpose is part of each ciphertext's associated data, so it is spelled once).
 */
export const PURPOSE = {
  egovTokens: 'egov.tokens',
  egovPkceVerifier: 'egov.pkce_verifier',
  /** The e-Gov account id a link belongs to (from its id token), issue 18. */
  egovAccount: 'egov.account',
  egovActionReason: 'egov_action.reason',
  egovNoticeTitle: 'egov_notice.title',
  egovNoticeBody: 'egov_notice.body',
  document: 'document',
  documentTitle: 'document.title',
  documentName: 'document.name',
  /** The private key of the tenant's e-signature certificate (PKCS#8 PEM), issue 16. */
  signingKey: 'filing.signing_key',
  /** An office's 提出代行証明書: its content (blob) and its file name. */
  proxyCertificate: 'filing.proxy_certificate',
  proxyCertificateName: 'filing.proxy_certificate.name',
  /** 承認フロー: an approver's comment, and the 取下げ reason of a withdrawal waiting for approval. */
  approvalComment: 'approval.comment',
  approvalReason: 'approval.reason',
} as const;
