import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';

export const IP_ALLOWLIST_APPLIES_TO = ['all', 'admins'] as const;
export type IpAllowlistAppliesTo = (typeof IP_ALLOWLIST_APPLIES_TO)[number];

/** At most this many entries: an office network list, not a geo database (each request checks all of them). */
export const IP_ALLOWLIST_MAX_ENTRIES = 100;

export class IpAllowlistDto {
  @ApiProperty({ description: 'Whether the list is enforced.' })
  @IsBoolean()
  enabled: boolean;

  @ApiProperty({
    type: [String],
    maxItems: IP_ALLOWLIST_MAX_ENTRIES,
    example: ['203.0.113.0/24', '2001:db8::/32'],
    description:
      'IPv4 or IPv6 networks in CIDR notation; a single address means /32 or /128. Stored canonical (host bits cleared, IPv6 compressed). ' +
      'At least one entry when enabled. A malformed entry answers 400 validation_failed with `invalid_cidr` on `cidrs[i]`.',
  })
  @IsArray()
  @ArrayMaxSize(IP_ALLOWLIST_MAX_ENTRIES)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  cidrs: string[];

  @ApiProperty({
    enum: IP_ALLOWLIST_APPLIES_TO,
    description: '`all`: every user and API token; `admins`: administrators and API tokens only (members may work from anywhere).',
  })
  @IsIn(IP_ALLOWLIST_APPLIES_TO)
  appliesTo: IpAllowlistAppliesTo;

  @ApiPropertyOptional({
    description: "Save even though the list does not include the caller's current address (else 409 would_lock_out).",
  })
  @IsOptional()
  @IsBoolean()
  confirmOwnAddress?: boolean;
}

export class IpAllowlistView {
  @ApiProperty() enabled: boolean;
  @ApiProperty({ type: [String], example: ['203.0.113.0/24', '2001:db8::/32'] }) cidrs: string[];
  @ApiProperty({ enum: IP_ALLOWLIST_APPLIES_TO }) appliesTo: IpAllowlistAppliesTo;
  @ApiProperty({ description: 'The address this request came from, as the server sees it (after TRUST_PROXY).' })
  currentAddress: string;
  @ApiProperty({ description: 'Whether the current address is inside the list (whether or not it is enabled).' })
  currentAddressAllowed: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Last change; null when never saved.' })
  updatedAt: string | null;
}
