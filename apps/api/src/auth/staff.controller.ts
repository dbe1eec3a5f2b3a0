import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsIn, IsString, IsUUID, Length, Matches } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { ORGANIZATION_CODE_PATTERN } from '@zhengming/organizations';
import { STAFF_ROLES, StaffRole, StaffService, type PersonPrincipal, type Principal } from '@zhengming/identity';
import { Access, CurrentPerson, CurrentPrincipal } from './access';
import { NoQuery } from '../http/no-query.dto';
import { OrganizationCodeParams } from '../organizations/organization.dto';

class MaskedPersonDto {
  @ApiProperty() id!: string;
  @ApiProperty({ example: '张*明' }) name!: string;
  @ApiProperty({ example: '4401**********1234' }) idNumber!: string;
  @ApiProperty({ example: '138****5678', nullable: true }) phone!: string | null;
  @ApiProperty() assuranceLevel!: number;
}

class StaffMemberDto {
  @ApiProperty() grantId!: string;
  @ApiProperty({ enum: StaffRole }) role!: StaffRole;
  @ApiProperty({ example: '经办人' }) roleName!: string;
  @ApiProperty() grantedAt!: Date;
  @ApiProperty({ type: MaskedPersonDto }) person!: MaskedPersonDto;
}

export class GrantStaffRoleBody {
  @ApiProperty({ example: '李小红' })
  @IsString()
  @Length(1, 64)
  name!: string;

  @ApiProperty({ example: '440118198603152415', description: '18 位公民身份号码（校验位按 GB 11643 检查）' })
  @IsString()
  @Length(15, 20)
  idNumber!: string;

  @ApiProperty({ enum: STAFF_ROLES })
  @IsIn(STAFF_ROLES)
  role!: StaffRole;

  @ApiProperty({ example: '440118001001' })
  @Matches(ORGANIZATION_CODE_PATTERN, { message: 'organizationCode must be an organization code' })
  organizationCode!: string;
}

class GrantIdParams {
  @IsUUID('4', { message: 'id must be a UUID' })
  id!: string;
}

class GrantCreatedDto {
  @ApiProperty() grantId!: string;
}

@ApiTags('staff')
@Controller('api')
export class StaffController {
  constructor(private readonly staff: StaffService) {}

  @Get('organizations/:code/staff')
  @Access.staff(StaffRole.Clerk, StaffRole.Approver, StaffRole.Supervisor, StaffRole.Admin)
  @ApiOperation({ summary: '某机构的工作人员（仅本机构及下辖机构可见，身份信息脱敏）' })
  @ApiOkResponse({ type: [StaffMemberDto] })
  list(
    @Param() params: OrganizationCodeParams,
    @Query(NoQuery) _query: object,
    @CurrentPrincipal() principal: Principal,
  ): Promise<StaffMemberDto[]> {
    return this.staff.listForOrganization(params.code, principal);
  }

  @Post('staff-roles')
  @Access.admin()
  @ApiOperation({ summary: '授予工作人员角色（按姓名与身份证号登记，首次登录时关联）' })
  @ApiCreatedResponse({ type: GrantCreatedDto })
  async grant(
    @Body() body: GrantStaffRoleBody,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<GrantCreatedDto> {
    const grant = await this.staff.grant(body, person, request.id);
    return { grantId: grant.id };
  }

  @Delete('staff-roles/:id')
  @HttpCode(204)
  @Access.admin()
  @ApiOperation({ summary: '撤销工作人员角色' })
  async revoke(
    @Param() params: GrantIdParams,
    @Query(NoQuery) _query: object,
    @CurrentPerson() person: PersonPrincipal,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    await this.staff.revoke(params.id, person, request.id);
  }
}
