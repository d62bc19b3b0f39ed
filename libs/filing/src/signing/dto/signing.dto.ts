import { ApiProperty } from '@nestjs/swagger';

/** The public part of a signing certificate (the private key is never shown, not even to administrators). */
export class SigningCertificateView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: ['active', 'revoked'] })
  status: 'active' | 'revoked';

  @ApiProperty({ description: 'Subject (名義) on one line, most specific first: `CN=…, O=…, C=JP`' })
  subject: string;

  @ApiProperty({ nullable: true, type: String, description: 'Subject CN (the holder: a person or the company)' })
  subjectCommonName: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'Subject O (organisation)' })
  subjectOrganization: string | null;

  @ApiProperty({ description: 'Issuer (発行者) on one line' })
  issuer: string;

  @ApiProperty({ description: 'Serial number, upper-case hex' })
  serialNumber: string;

  @ApiProperty({ format: 'date-time' })
  notBefore: string;

  @ApiProperty({ format: 'date-time' })
  notAfter: string;

  @ApiProperty({ description: 'SHA-256 fingerprint of the DER certificate, `AB:CD:…`' })
  fingerprintSha256: string;

  @ApiProperty({ description: 'RSA modulus length' })
  keyBits: number;

  @ApiProperty({ description: 'Whole days until notAfter (negative once expired)' })
  expiresInDays: number;

  @ApiProperty({ description: 'true when the certificate expires within 30 days (or has expired)' })
  expiringSoon: boolean;

  @ApiProperty({ description: 'Intermediate certificates stored with it' })
  chainLength: number;

  @ApiProperty({ format: 'date-time' })
  uploadedAt: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  revokedAt: string | null;
}

export class SigningCertificatesView {
  @ApiProperty({ type: SigningCertificateView, nullable: true, description: 'The certificate packages are signed with, if any' })
  current: SigningCertificateView | null;

  @ApiProperty({ type: [SigningCertificateView], description: 'Replaced or removed certificates (public data only), newest first' })
  history: SigningCertificateView[];
}

/** The multipart body of POST /signing-certificates (documented; read by the service from the stream). */
export class SigningCertificateUploadDto {
  @ApiProperty({ type: 'string', format: 'binary', description: 'PKCS#12 file (.p12 / .pfx), at most 64 KiB' })
  file: unknown;

  @ApiProperty({ description: 'The PIN (passphrase) of the file: used once to open it, never stored or logged' })
  pin: string;
}

export class ProxyCertificateView {
  @ApiProperty({ format: 'uuid' })
  officeId: string;

  @ApiProperty()
  fileName: string;

  @ApiProperty({ enum: ['application/pdf', 'application/xml'] })
  contentType: string;

  @ApiProperty()
  size: number;

  @ApiProperty({ description: 'SHA-256 of the file, hex' })
  sha256: string;

  @ApiProperty({ format: 'date-time' })
  uploadedAt: string;
}

export class ProxyCertificateStatusView {
  @ApiProperty({ type: ProxyCertificateView, nullable: true })
  certificate: ProxyCertificateView | null;
}
