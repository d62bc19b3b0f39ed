import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { UUID_PATTERN } from '@charlotte/core';

export const NAME_ID_FORMATS = [
  'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
] as const;

/**
 * The IdP's SSO URL: https, or http on localhost only (a test IdP on the
 * developer's machine). The browser is sent there with the AuthnRequest, so a
 * plain-http URL would expose the login to anyone on the path. The one rule for
 * every way settings arrive (PUT, metadata import) and for the login itself.
 */
export const SSO_URL_PATTERN = /^(https:\/\/[^\s]+|http:\/\/(localhost|127\.0\.0\.1)(:\d+)?(\/[^\s]*)?)$/;
export const SSO_URL_MAX_LENGTH = 2048;

export function isAllowedSsoUrl(url: string): boolean {
  return url.length <= SSO_URL_MAX_LENGTH && SSO_URL_PATTERN.test(url);
}

export class AttributeMappingDto {
  @ApiPropertyOptional({ description: 'attribute holding the e-mail address (default: the NameID when it is an e-mail)' })
  @IsOptional()
  @IsString()
  @Length(1, 300)
  email?: string;

  @ApiPropertyOptional({ description: 'attribute holding the display name' })
  @IsOptional()
  @IsString()
  @Length(1, 300)
  displayName?: string;

  @ApiPropertyOptional({ description: 'attribute (role or group) whose values decide the role' })
  @IsOptional()
  @IsString()
  @Length(1, 300)
  role?: string;

  @ApiPropertyOptional({ description: 'values of the role attribute that mean admin; any other value means member' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Length(1, 300, { each: true })
  adminValues?: string[];
}

export class SsoSettingsDto {
  @ApiProperty({ example: 'https://sts.windows.net/0000/' })
  @IsString()
  @Length(1, 1024)
  idpEntityId: string;

  @ApiProperty({ example: 'https://login.microsoftonline.com/0000/saml2', description: 'https (http only for localhost)' })
  @IsString()
  @MaxLength(SSO_URL_MAX_LENGTH)
  @Matches(SSO_URL_PATTERN, { message: 'ssoUrl must be an https URL', context: { code: 'https_url' } })
  ssoUrl: string;

  @ApiProperty({ description: 'PEM X.509 signing certificates of the IdP; two during a rollover', type: [String] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(2)
  @IsString({ each: true })
  @MaxLength(20000, { each: true })
  certificates: string[];

  @ApiProperty({ enum: NAME_ID_FORMATS })
  @IsIn(NAME_ID_FORMATS)
  nameIdFormat: string;

  @ApiProperty({ type: AttributeMappingDto })
  @ValidateNested()
  @Type(() => AttributeMappingDto)
  attributeMapping: AttributeMappingDto;

  @ApiProperty({ description: 'create unknown users at their first SSO login' })
  @IsBoolean()
  jitEnabled: boolean;

  @ApiProperty({ enum: ['admin', 'member'] })
  @IsIn(['admin', 'member'])
  jitDefaultRole: 'admin' | 'member';

  @ApiProperty({ description: 'accept responses the SP did not ask for (off by default)' })
  @IsBoolean()
  allowIdpInitiated: boolean;

  @ApiPropertyOptional({
    default: false,
    description:
      'link an existing account with the same e-mail at its first SSO login (off by default; absent means off). ' +
      'Administrators are never linked this way: each confirms once from a password + key-file session ' +
      '(POST /tenant/sso/link-confirmation).',
  })
  @IsOptional()
  @IsBoolean()
  linkExistingAccounts?: boolean;

  @ApiProperty({ description: 'password login refused for everyone but the break-glass admins' })
  @IsBoolean()
  ssoRequired: boolean;

  @ApiProperty({ description: '"SSO plus key file": SSO users must also sign with their key file' })
  @IsBoolean()
  requireKeyfile: boolean;

  @ApiProperty({ type: [String], description: 'admins who keep password + key-file login when SSO is required' })
  @IsArray()
  @ArrayMaxSize(10)
  @Matches(UUID_PATTERN, { each: true, message: 'breakGlassAdminIds must be user ids', context: { code: 'user_id' } })
  breakGlassAdminIds: string[];
}

export class SsoSettingsView extends SsoSettingsDto {
  @ApiProperty() configured: boolean;
  @ApiProperty({ description: 'whether existing (password) accounts are linked at their first SSO login' })
  override linkExistingAccounts: boolean = false;
  @ApiProperty({
    type: 'array',
    items: { type: 'object' },
    description: 'subject, issuer, validity and SHA-256 fingerprint of each certificate',
  })
  certificateInfo: Array<{ subject: string; issuer: string; validFrom: string; validTo: string; fingerprint256: string }>;
  @ApiProperty({ type: String, nullable: true, description: 'when an admin last completed a test SSO login' }) testedAt: string | null;
  @ApiProperty() spEntityId: string;
  @ApiProperty() acsUrl: string;
  @ApiProperty() spMetadataUrl: string;
}

export class SsoMetadataDto {
  @ApiProperty({ description: 'IdP metadata XML (EntityDescriptor)' })
  @IsString()
  @Length(50, 200000)
  xml: string;
}

export class SsoLinkConfirmationView {
  @ApiProperty({ description: 'until when the next SSO login may link this account (ISO 8601)' })
  confirmedUntil: string;
}
