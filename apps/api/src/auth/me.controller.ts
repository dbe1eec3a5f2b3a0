import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import {
  LEVEL_NAMES,
  PeopleService,
  ROLE_NAMES,
  StaffRole,
  type PersonPrincipal,
  type RoleGrant,
} from '@zhengming/identity';
import { Access, CurrentPerson } from './access';
import { NoQuery } from '../http/no-query.dto';

class ParentOrganizationDto {
  @ApiProperty() code!: string;
  @ApiProperty() name!: string;
}

class RoleOrganizationDto {
  @ApiProperty({ example: '440118001001' }) code!: string;
  @ApiProperty({ example: '城南社区居民委员会' }) name!: string;
  @ApiProperty({ enum: ['district', 'town', 'committee'] }) level!: string;
  @ApiProperty({ example: '村（居）委会' }) levelName!: string;
  @ApiPropertyOptional({ type: ParentOrganizationDto, nullable: true }) parent!: ParentOrganizationDto | null;
}

export class RoleGrantDto {
  @ApiProperty({ enum: StaffRole }) role!: StaffRole;
  @ApiProperty({ example: '经办人' }) roleName!: string;
  @ApiProperty({ type: RoleOrganizationDto }) organization!: RoleOrganizationDto;
}

export class MeDto {
  @ApiProperty() id!: string;
  @ApiProperty({ example: '张*明', description: '已脱敏' }) name!: string;
  @ApiProperty({ example: '4401**********1234', description: '已脱敏' }) idNumber!: string;
  @ApiPropertyOptional({ example: '138****5678', nullable: true, description: '已脱敏' }) phone!: string | null;
  @ApiProperty({ example: 3, description: '实名认证等级 1–4' }) assuranceLevel!: number;
  @ApiProperty({ type: [RoleGrantDto] }) roles!: RoleGrantDto[];
}

export function mapRoleGrant(grant: RoleGrant): RoleGrantDto {
  return {
    role: grant.role,
    roleName: ROLE_NAMES[grant.role],
    organization: {
      code: grant.organization.code,
      name: grant.organization.name,
      level: grant.organization.level,
      levelName: LEVEL_NAMES[grant.organization.level],
      parent: grant.organization.parent,
    },
  };
}

@ApiTags('auth')
@Controller('api/me')
export class MeController {
  constructor(private readonly people: PeopleService) {}

  @Get()
  @Access.signedIn()
  @ApiOperation({ summary: '当前登录人：脱敏身份、角色与所属机构' })
  @ApiOkResponse({ type: MeDto })
  async me(@CurrentPerson() principal: PersonPrincipal, @Query(NoQuery) _query: object): Promise<MeDto> {
    const person = this.people.masked(await this.people.get(principal.personId));
    return { ...person, roles: principal.roles.map(mapRoleGrant) };
  }
}
