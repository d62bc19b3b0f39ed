import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `:id` path parameter: a UUID, or 400 validation_failed before any query runs. */
export class IdParam {
  // Declared for the OpenAPI document: without it the generated SPA types lack the path parameter.
  @ApiProperty({ format: 'uuid' })
  @Matches(UUID_PATTERN, { message: 'id must be a UUID', context: { code: 'uuid' } })
  id: string;
}
