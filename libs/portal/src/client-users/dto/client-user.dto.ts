import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';
import { UserView } from '@charlotte/auth';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** A user of the client's portal: always invited (a one-time link; password and key file at first login). */
export class InviteClientUserDto {
  @ApiProperty({ example: 'keiri@alpha.example.co.jp', description: 'Unique in the tenant, case-insensitively.' })
  @Transform(trim)
  @IsEmail({}, { message: 'email must be a valid e-mail address' })
  @MaxLength(254)
  email: string;

  @ApiProperty({ example: '経理 花子' })
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  displayName: string;
}

export class ClientUserListView {
  @ApiProperty({ type: [UserView] }) items: UserView[];
}
