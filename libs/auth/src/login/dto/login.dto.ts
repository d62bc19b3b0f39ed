import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
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
}

export class SessionView {
  @ApiProperty({ type: UserView }) user: UserView;
  @ApiProperty({ type: TenantView, nullable: true }) tenant: TenantView | null;
  @ApiProperty({ description: 'Send as X-CSRF-Token on unsafe methods.' }) csrfToken: string;
}

export class LoginResult extends SessionView {
  @ApiProperty({ enum: ['done'] }) step: 'done';
}

export class AcceptInvitationResult {
  @ApiProperty() ok: true;
  @ApiProperty({ type: TenantView, nullable: true }) tenant: Omit<TenantView, 'id'> | null;
  @ApiProperty() email: string;
}

export class ProblemView {
  @ApiProperty() type: string;
  @ApiProperty() title: string;
  @ApiProperty() status: number;
  @ApiPropertyOptional() detail?: string;
  @ApiProperty() code: string;
  @ApiPropertyOptional({ type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } })
  errors?: Array<{ field: string; message: string }>;
}
