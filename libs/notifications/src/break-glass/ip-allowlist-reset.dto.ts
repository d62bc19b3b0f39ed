import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';

/** A 契約コード in the path (the tenant-code pattern; case is folded by the lookup). */
export class IpAllowlistTenantParam {
  @ApiProperty({ example: 'acme' })
  @Matches(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/, { message: 'code must be a tenant code', context: { code: 'tenant_code' } })
  code: string;
}

/** 200 of POST /operator/tenants/:code/ip-allowlist/disable. */
export class IpAllowlistResetDto {
  @ApiProperty({ example: 'acme' }) code: string;
  @ApiProperty({ description: 'Whether the list was enforced before (false: nothing changed).' }) wasEnabled: boolean;
  @ApiProperty({ description: 'Entries kept (switched off, not erased) for the administrators to correct.' }) entries: number;
  @ApiProperty({ description: 'How many お知らせ were written: one per active administrator of the tenant.' }) adminsNotified: number;
}
