import type { ProcedureDefinition } from '@charlotte/procedures';

/**
 * The office (事業所) the application is filed for. Identifiers are stored
 * digits-only (hyphens removed) except 事業所整理記号, which may hold kana.
 */
export interface PackageOffice {
  /** 事業所名称 */
  readonly name: string;
  /** 事業所所在地 */
  readonly address?: string;
  /** 事業所所在地の郵便番号, 7 digits (the forms split it into 親番号 3 + 子番号 4). */
  readonly postalCode?: string;
  /** 事業主氏名 (e.g. 代表取締役 山田太郎). */
  readonly ownerName?: string;
  /** 法人番号, 13 digits: kousei.xml's その他/法人番号 when given. */
  readonly corporateNumber?: string;
  /**
   * 事業所整理記号 (pension forms), written in three boxes: 都道府県コード (2
   * digits), 郡市区記号 (2 digits), 事業所記号 (up to 4 kana/letters). Accepted as
   * `PP-DD-記号`, `PPDD記号`, or `DD-記号` together with `prefectureCode`.
   */
  readonly pensionOfficeCode?: string;
  /** 都道府県コード of the 事業所整理記号 when pensionOfficeCode holds only `DD-記号`. */
  readonly prefectureCode?: string;
  /** 事業所番号 (pension forms) */
  readonly pensionOfficeNumber?: string;
  /** 雇用保険適用事業所番号 (雇用保険 forms) */
  readonly employmentOfficeNumber?: string;
  /** 労働保険番号: not used by the current forms, accepted so an office record can be passed as is. */
  readonly laborInsuranceNumber?: string;
}

/** 申請者情報 / 連絡先情報 of kousei.xml: who files, and whom e-Gov and the authority contact. */
export interface PackageApplicant {
  /** 氏名 (a person or an office's contact) */
  readonly name: string;
  /** 氏名フリガナ */
  readonly nameKana?: string;
  /** 役職 */
  readonly position?: string;
  /** 法人団体名 */
  readonly corporateName?: string;
  /** 法人団体名フリガナ */
  readonly corporateNameKana?: string;
  /** 部門名 */
  readonly division?: string;
  /** 部門名フリガナ */
  readonly divisionKana?: string;
  /** 住所フリガナ */
  readonly addressKana?: string;
  /** FAX番号 */
  readonly fax?: string;
  /** 郵便番号, 7 digits */
  readonly postalCode?: string;
  /** 住所 */
  readonly address?: string;
  /** 電話番号, digits */
  readonly phone?: string;
  /** メールアドレス */
  readonly email?: string;
}

/** 提出先情報: the authority the application goes to (年金事務所, 公共職業安定所). */
export interface SubmitTo {
  /** 提出先名称 */
  readonly name: string;
  /** 提出先識別子 (e-Gov's id of the office, e.g. 23 characters); left empty when unknown. */
  readonly id?: string;
}

/** 申請種別 of a filing (取下げ依頼 is built by buildWithdrawalPackage). */
export type ApplyType = '新規申請' | '部分補正' | '再提出';

/** An attachment's bytes: a Node stream in binary mode or any async iterable of Buffers. */
export type AttachmentSource = AsyncIterable<Buffer> | NodeJS.ReadableStream;

export interface PackageAttachment {
  /** The name the user gave the file; made safe and unique before it goes into the ZIP. */
  readonly fileName: string;
  /** 添付書類名称 in kousei.xml; default: the file name without its extension. */
  readonly title?: string;
  /** MIME type as sniffed at upload (`application/pdf`). */
  readonly contentType: string;
  /** Size in bytes as recorded at upload; the bytes read must match it exactly. */
  readonly size: number;
  /**
   * Opens the (decrypted) bytes. May be called twice when no signer is used:
   * once to compute the SHA-256 for kousei.xml, once to stream into the ZIP
   * (the second read is checked against the first). Each call must return a
   * fresh stream.
   */
  readonly open: () => AttachmentSource;
}

export interface PackageInput {
  readonly procedure: ProcedureDefinition;
  /** The application's form, validated (`complete`) and normalised (digits without hyphens). */
  readonly form: Readonly<Record<string, unknown>>;
  readonly office: PackageOffice;
  readonly applicant: PackageApplicant;
  /** Defaults from the procedure family: 社会保険 → 日本年金機構, 雇用保険 → 公共職業安定所 (procedure-ids.ts). */
  readonly submitTo?: SubmitTo;
  readonly attachments: readonly PackageAttachment[];
  /** e-Gov 手続ID (proc_id); defaults to the procedure's mapping (<code>.v<N>.egov.json). */
  readonly procId?: string;
  /** 申請種別; default 新規申請. 部分補正 and 再提出 need `firstArriveId`. */
  readonly applyType?: ApplyType;
  /** 初回受付番号: the arrive_id of the first filing (部分補正, 再提出). */
  readonly firstArriveId?: string;
  /** 連絡先情報; default: the applicant. */
  readonly contact?: PackageApplicant;
  /** 提出代行証明書 of a sharoushi filing for the employer: zipped and listed as an attachment. */
  readonly proxyCertificate?: { readonly fileName: string; readonly data: Buffer };
}

/** A 取下げ依頼 (withdrawal request) of an arrived filing. */
export interface WithdrawalInput {
  /** 到達番号 of the filing to withdraw (初回受付番号). */
  readonly arriveId: string;
  /** 手続名称 of the filing as e-Gov wrote it. */
  readonly procName: string;
  readonly applicant: PackageApplicant;
  readonly contact?: PackageApplicant;
  /** 理由 */
  readonly reason: string;
  /** 依頼年月日; default now. Also the ZIP entry times. */
  readonly requestedAt?: Date;
  readonly signer?: PackageSigner;
  readonly submitTo?: SubmitTo;
}

/** One file of the package, with its bytes. */
export interface PackageFile {
  readonly name: string;
  readonly data: Buffer;
}

/**
 * An XML-DSig signer (signature.ts: createXmlDsigSigner).
 * Receives every file of the package in ZIP order (kousei.xml first, then the
 * 申請書 XML, then the attachments), names without the ZIP folder, and returns
 * the files to zip, in the order to zip them: typically the same list with
 * kousei.xml replaced by a signed copy. It may add files; it must not drop,
 * rename or change attachments.
 */
export interface PackageSigner {
  sign(files: readonly PackageFile[]): Promise<PackageFile[]>;
}

export interface BuildPackageOptions {
  /** Called before zipping; without it the package is unsigned (GビズID filing). */
  readonly signer?: PackageSigner;
  /** ZIP entry times, the package file name and the form's 提出年月日 (JST); default now. Fix it for byte-identical rebuilds. */
  readonly createdAt?: Date;
  /** Per-attachment limit in bytes; default 20 MiB (our upload limit). */
  readonly maxAttachmentBytes?: number;
  /** Limit for the sum of attachment sizes in bytes; default 50 MiB (ours, not a known e-Gov figure). */
  readonly maxTotalBytes?: number;
}

/** What `POST /apply` takes: `{ proc_id: procId, send_file: { file_name: fileName, file_data: zip.toString('base64') } }`. */
export interface EgovPackage {
  readonly zip: Buffer;
  readonly fileName: string;
  /** SHA-256 of `zip`, lowercase hex. */
  readonly sha256: string;
  /** The entry names in ZIP order, with their folder (`<proc_id>/kousei.xml`). */
  readonly files: string[];
  readonly procId: string;
}

/** An attachment as listed in kousei.xml. */
export interface AttachmentFileInfo {
  /** The safe, unique name inside the ZIP. */
  readonly fileName: string;
  /** 添付書類名称 */
  readonly title?: string;
  readonly contentType: string;
  readonly size: number;
  /** Lowercase hex. */
  readonly sha256: string;
}

/** A 申請書 XML as listed in kousei.xml (申請書属性情報). */
export interface FormFileInfo {
  readonly fileName: string;
  /** 申請書様式ID; default the procedure's. */
  readonly formId?: string;
  /** 申請書様式バージョン (4 digits); default the procedure's. */
  readonly formVersion?: string;
  /** 申請書様式名称; default the procedure's. */
  readonly formName?: string;
}

export interface PackageFiles {
  readonly forms: readonly FormFileInfo[];
  readonly attachments: readonly AttachmentFileInfo[];
}
