import { IdParam, IsOptionalNonNull } from '@charlotte/core';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsInt, IsOptional, IsString, Length, Max, MaxLength, Min } from 'class-validator';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../password/password.service';
import type { User, UserRole, UserStatus } from '../user.entity';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateUserDto {
  @ApiProperty({ example: 'taro@example.co.jp', description: 'Unique in the tenant, case-insensitively.' })
  @Transform(trim)
  @IsEmail({}, { message: 'email must be a valid e-mail address' })
  @MaxLength(254)
  email: string;

  @ApiProperty({ example: '山田 太郎' })
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  displayName: string;

  @ApiProperty({ enum: ['admin', 'member'] })
  @IsIn(['admin', 'member'])
  role: 'admin' | 'member';

  @ApiPropertyOptional({
    description: `With a password the user is active at once; without, the user is invited (one-time link). ${PASSWORD_MIN_LENGTH}-${PASSWORD_MAX_LENGTH} characters.`,
  })
  @IsOptionalNonNull()
  @IsString()
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH)
  password?: string;
}

/** Absent fields are left as they are; null is refused (IsOptionalNonNull: `role: null` reached a NOT NULL column, 500). */
export class UpdateUserDto {
  @ApiPropertyOptional()
  @IsOptionalNonNull()
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  displayName?: string;

  @ApiPropertyOptional({ enum: ['admin', 'member'] })
  @IsOptionalNonNull()
  @IsIn(['admin', 'member'])
  role?: 'admin' | 'member';

  @ApiPropertyOptional({ enum: ['active', 'disabled'], description: 'Disable ends every session of the user; active re-enables.' })
  @IsOptionalNonNull()
  @IsIn(['active', 'disabled'])
  status?: 'active' | 'disabled';
}

export class ListUsersQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  cursor?: string;

  @ApiPropertyOptional({ description: 'Filter by e-mail prefix.' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  q?: string;
}

/** The `:id` of this resource (a UUID). */
export class UserIdParam extends IdParam {}

export class UserView {
  @ApiProperty() id: string;
  @ApiProperty() email: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ enum: ['admin', 'member', 'operator', 'client'] }) role: UserRole;
  @ApiPropertyOptional({ format: 'uuid', description: 'role client only: the 顧問先 whose portal the user logs in to' })
  clientId?: string;
  @ApiProperty({ enum: ['invited', 'active', 'disabled'] }) status: UserStatus;
  @ApiProperty({ type: String, nullable: true }) lockedUntil: string | null;
  @ApiProperty({ type: String, nullable: true }) lastLoginAt: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;

  static of(u: User): UserView {
    return {
      id: u.id,
      email: u.email,
      displayName: u.displayName,
      role: u.role,
      ...(u.clientId ? { clientId: u.clientId } : {}),
      status: u.status,
      lockedUntil: u.lockedUntil && u.lockedUntil.getTime() > Date.now() ? u.lockedUntil.toISOString() : null,
      lastLoginAt: u.lastLoginAt?.toISOString() ?? null,
      createdAt: u.createdAt.toISOString(),
      updatedAt: u.updatedAt.toISOString(),
    };
  }
}

export class InvitationView {
  @ApiProperty({ description: 'One-time link; shown once.' }) url: string;
  @ApiProperty() expiresAt: string;
}

export class CreatedUserView extends UserView {
  @ApiPropertyOptional({ type: InvitationView }) invitation?: InvitationView;
}

export class UserPage {
  @ApiProperty({ type: [UserView] }) items: UserView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
