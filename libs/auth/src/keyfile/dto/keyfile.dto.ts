import { IdParam } from '@charlotte/core';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

export class IssueKeyfileDto {
  @ApiProperty({ example: '事務所PC' })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 100)
  label: string;

  @ApiPropertyOptional({
    description: 'Encrypts the private key inside the file (PBKDF2-SHA256 ≥ 600,000 iterations → AES-256-GCM). 8-200 characters.',
  })
  @IsOptional()
  @IsString()
  @Length(8, 200)
  passphrase?: string;
}

export class KeyParams extends IdParam {
  @ApiProperty({ description: 'the key thumbprint (base64url, 43 characters)', pattern: '^[A-Za-z0-9_-]{43}$' })
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'keyId must be a key thumbprint', context: { code: 'key_thumbprint' } })
  keyId: string;
}

export class OwnKeyParam {
  @ApiProperty({ description: 'the key thumbprint (base64url, 43 characters)', pattern: '^[A-Za-z0-9_-]{43}$' })
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'keyId must be a key thumbprint', context: { code: 'key_thumbprint' } })
  keyId: string;
}

export class KeyDto {
  @ApiProperty() keyId: string;
  @ApiProperty() label: string;
  @ApiProperty() createdAt: string;
  @ApiProperty({ type: String, nullable: true }) lastUsedAt: string | null;
  @ApiProperty({ type: String, nullable: true }) revokedAt: string | null;
  @ApiProperty({ enum: ['self', 'admin'] }) issuedBy: 'self' | 'admin';
}

export class KeyListDto {
  @ApiProperty({ type: [KeyDto] }) items: KeyDto[];
}

/** 200 of POST /users/{id}/keyfile-reset. */
export class KeyfileResetView {
  @ApiProperty({ enum: [true] }) ok: true;
}

/** The passphrase-encrypted private key of a key file (api.md, "Key file"). */
export class EncryptedPrivateKeyDto {
  @ApiProperty({ enum: ['PBKDF2-SHA256'] }) kdf: 'PBKDF2-SHA256';
  @ApiProperty() iterations: number;
  @ApiProperty({ description: 'base64url' }) salt: string;
  @ApiProperty({ enum: ['AES-256-GCM'] }) cipher: 'AES-256-GCM';
  @ApiProperty({ description: 'base64url' }) iv: string;
  @ApiProperty({ description: 'base64url, with the GCM tag' }) ciphertext: string;
}

/** 201 of POST /users/{id}/keyfiles: the key file itself (`*.charlotte-key.json`), answered once. */
export class KeyFileView {
  @ApiProperty({ enum: ['charlotte-keyfile'] }) type: 'charlotte-keyfile';
  @ApiProperty({ enum: [1] }) version: 1;
  @ApiProperty({ description: 'tenant code (契約コード)' }) tenant: string;
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty() email: string;
  @ApiProperty({ description: 'RFC 7638 thumbprint of the public key' }) keyId: string;
  @ApiProperty() createdAt: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'the private EC P-256 JWK, without a passphrase',
  })
  privateKeyJwk?: Record<string, unknown>;
  @ApiPropertyOptional({ type: EncryptedPrivateKeyDto, description: 'instead of privateKeyJwk, with a passphrase' })
  encryptedPrivateKey?: EncryptedPrivateKeyDto;
}
