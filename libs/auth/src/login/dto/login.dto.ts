import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsString, Length, Matches } from 'class-validator';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../password/password.service';
import { UserView } from '../../users/dto/user.dto';

export class LoginDto {
  @ApiProperty({ example: 'acme', description: 'Tenant code (契約コード); platform operators use "platform".' })
  @IsString()
  @Length(1, 64)
  tenant: string;

  @ApiProperty({ example: 'admin@acme.example' })
  @IsString()
  @Length(1, 254)
  email: string;

  @ApiProperty()
  @IsString()
  @Length(1, 1024)
  password: string;
}

export class AcceptInvitationDto {
  @ApiProperty()
  @IsString()
  @Length(16, 200)
  token: string;

  @ApiProperty({ description: `${PASSWORD_MIN_LENGTH}-${PASSWORD_MAX_LENGTH} characters.` })
  @IsString()
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH)
  password: string;
}

export class TenantView {
  @ApiProperty() id: string;
  @ApiProperty() code: string;
  @ApiProperty() name: string;
  @ApiPropertyOptional({
    enum: ['company', 'sharoushi'],
    description: 'company, or sharoushi (a 社会保険労務士 office: 顧問先 and staff assignments); always set in the session',
  })
  kind?: 'company' | 'sharoushi';
}

export class SessionView {
  @ApiProperty({ type: UserView }) user: UserView;
  @ApiProperty({ type: TenantView, nullable: true }) tenant: TenantView | null;
  @ApiProperty({ description: 'Send as X-CSRF-Token on unsafe methods.' }) csrfToken: string;
}

export class LoginResult {
  @ApiProperty({
    enum: ['keyfile', 'enroll_keyfile', 'done'],
    description: 'keyfile: sign the challenge with your key file; enroll_keyfile: first login, register a key',
  })
  step: 'keyfile' | 'enroll_keyfile' | 'done';
  @ApiPropertyOptional({ description: '32 random bytes, base64url; sign "charlotte-login:v1:" + challenge with ES256' }) challenge?: string;
  @ApiPropertyOptional({ description: 'the challenge expires after 2 minutes' }) expiresAt?: string;
  @ApiPropertyOptional({ type: UserView }) user?: UserView;
  @ApiPropertyOptional({ type: TenantView, nullable: true }) tenant?: TenantView | null;
  @ApiPropertyOptional() csrfToken?: string;
}

export class PendingStepView {
  @ApiProperty({ enum: ['keyfile', 'enroll_keyfile'] }) step: 'keyfile' | 'enroll_keyfile';
  @ApiProperty({ description: '32 random bytes, base64url; sign "charlotte-login:v1:" + challenge with ES256' }) challenge: string;
  @ApiProperty({ description: 'the challenge expires 2 minutes after the SSO login' }) expiresAt: string;
  @ApiProperty({ description: 'contract code of the user logging in (the key file names it)' }) tenant: string;
  @ApiProperty({ description: 'e-mail address of the user logging in (the key file names it)' }) email: string;
}

export class KeyfileStepDto {
  @ApiProperty({ description: 'RFC 7638 thumbprint of the public key (base64url SHA-256)' })
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'keyId must be a base64url SHA-256 thumbprint', context: { code: 'key_thumbprint' } })
  keyId: string;

  @ApiProperty({ description: 'ES256 raw r‖s (64 bytes), base64url without padding' })
  @Matches(/^[A-Za-z0-9_-]{86}$/, { message: 'signature must be 64 bytes in base64url', context: { code: 'signature_format' } })
  signature: string;
}

export class EnrollStepDto {
  @ApiProperty({ description: 'public EC P-256 JWK {kty, crv, x, y}' })
  @IsObject()
  publicKeyJwk: Record<string, unknown>;

  @ApiProperty({ example: 'ノートPC' })
  @IsString()
  @Length(1, 100)
  label: string;

  @ApiProperty({ description: 'signature over the same challenge by the new key (ES256, raw r‖s, base64url)' })
  @Matches(/^[A-Za-z0-9_-]{86}$/, { message: 'signature must be 64 bytes in base64url', context: { code: 'signature_format' } })
  signature: string;
}

export class EnrollResult extends SessionView {
  @ApiProperty({ enum: ['done'] }) step: 'done';
  @ApiProperty() keyId: string;
}

export class AcceptInvitationResult {
  @ApiProperty() ok: true;
  @ApiProperty({ type: TenantView, nullable: true, description: 'The tenant of the user; null for a platform operator.' })
  tenant: Omit<TenantView, 'id'> | null;
  @ApiProperty() email: string;
  @ApiProperty({
    example: 'acme',
    description: 'The 契約コード to type at login: the tenant code, or "platform" for a platform operator.',
  })
  loginCode: string;
}

// problem+json shapes are declared once, in @charlotte/core (ProblemView, ProblemFieldErrorView).
export { ProblemFieldErrorView, ProblemView } from '@charlotte/core';
