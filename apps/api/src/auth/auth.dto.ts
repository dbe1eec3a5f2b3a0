import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

export class LoginQuery {
  @ApiPropertyOptional({ description: '登录后返回的本站路径', example: '/me' })
  @IsOptional()
  @IsString()
  @Length(1, 512)
  returnTo?: string;
}

/** What the identity platform appends to the callback address (RFC 6749 §4.1.2, RFC 9207). */
export class CallbackQuery {
  @IsOptional() @IsString() @Length(1, 2048) code?: string;
  @IsOptional() @IsString() @Length(1, 512) state?: string;
  @IsOptional() @IsString() @Length(1, 2048) iss?: string;
  @IsOptional() @IsString() @Length(1, 128) error?: string;
  @IsOptional() @IsString() @Length(0, 1024) error_description?: string;
}

export class RefreshBody {
  @ApiPropertyOptional({ description: '刷新令牌（脚本调用时在请求体中提供；网页使用 Cookie）' })
  @IsOptional()
  @IsString()
  @Matches(/^zrt_[A-Za-z0-9_-]{43}$/, { message: 'refreshToken is not a refresh token' })
  refreshToken?: string;
}

export class TokensDto {
  @ApiProperty({ description: '访问令牌（仅在请求体提供刷新令牌时返回）', required: false }) accessToken?: string;
  @ApiProperty({ required: false }) refreshToken?: string;
  @ApiProperty() accessExpiresAt!: string;
  @ApiProperty({ required: false }) refreshExpiresAt?: string;
}
