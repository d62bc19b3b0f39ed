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
  /** 事業所整理記号 (pension forms) */
  readonly pensionOfficeCode?: string;
  /** 事業所番号 (pension forms) */
  readonly pensionOfficeNumber?: string;
  /** 雇用保険適用事業所番号 (雇用保険 forms) */
  readonly employmentOfficeNumber?: string;
  /** 労働保険番号: not used by the current forms, accepted so an office record can be passed as is. */
  readonly laborInsuranceNumber?: string;
}

/** 申請者連絡先情報: who e-Gov and the authority contact about this application. */
export interface PackageApplicant {
  /** 氏名 (a person or an office's contact) */
  readonly name: string;
  /** 氏名フリガナ */
  readonly nameKana?: string;
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
  readonly name: string;
}

/** An attachment's bytes: a Node stream in binary mode or any async iterable of Buffers. */
export type AttachmentSource = AsyncIterable<Buffer> | NodeJS.ReadableStream;

export interface PackageAttachment {
  /** The name the user gave the file; made safe and unique before it goes into the ZIP. */
  readonly fileName: string;
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
  /** e-Gov 手続識別子 (proc_id); defaults to procedure-ids.ts, whose ids are PLACEHOLDERS. */
  readonly procId?: string;
}

/** One file of the package, with its bytes. */
export interface PackageFile {
  readonly name: string;
  readonly data: Buffer;
}

/**
 * The slot for an XML-DSig signer (not implemented yet; see package.ts).
 * Receives every file of the package in ZIP order (kousei.xml first, then the
 * 申請書 XML, then the attachments) and returns the files to zip, in the order
 * to zip them: typically the same list with kousei.xml replaced by a signed
 * copy. It may add files; it must not drop, rename or change attachments.
 */
export interface PackageSigner {
  sign(files: readonly PackageFile[]): Promise<PackageFile[]>;
}

export interface BuildPackageOptions {
  /** Called before zipping; without it the package is unsigned (GビズID filing). */
  readonly signer?: PackageSigner;
  /** ZIP entry times and the package file name; default now. Fix it for byte-identical rebuilds. */
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
  /** The entry names in ZIP order. */
  readonly files: string[];
  readonly procId: string;
}

/** An attachment as listed in kousei.xml. */
export interface AttachmentFileInfo {
  /** The safe, unique name inside the ZIP. */
  readonly fileName: string;
  readonly contentType: string;
  readonly size: number;
  /** Lowercase hex. */
  readonly sha256: string;
}

/** A 申請書 XML as listed in kousei.xml. */
export interface FormFileInfo {
  readonly fileName: string;
}

export interface PackageFiles {
  readonly forms: readonly FormFileInfo[];
  readonly attachments: readonly AttachmentFileInfo[];
}
