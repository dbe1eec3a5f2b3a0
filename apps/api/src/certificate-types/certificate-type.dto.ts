import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import type { ActiveCertificateType } from '@zhengming/certificate-types';

export class CertificateTypeCodeParams {
  @ApiProperty({ example: 'ev-charger-installation' })
  @Matches(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, {
    message: 'code must be a kebab-case certificate type code',
  })
  code!: string;
}

export class MaterialRequirementDto {
  @ApiProperty() key!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['image', 'pdf'], isArray: true }) accepts!: ('image' | 'pdf')[];
  @ApiProperty() required!: boolean;
  @ApiProperty() maxFiles!: number;
  @ApiProperty() description!: string;
}

export class CertificateTypeDto {
  @ApiProperty({ example: 'ev-charger-installation' }) code!: string;
  @ApiProperty({ example: '居民充电桩报装证明' }) name!: string;
  @ApiProperty() nameEn!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ description: '当前版本号；申请保留其创建时的版本' })
  version!: number;
  @ApiProperty({ enum: ['committee'] }) issuingLevel!: string;
  @ApiProperty() committeeBasis!: string;
  @ApiProperty({ description: '有效期（天）' }) validityDays!: number;
  @ApiProperty({ description: '承诺时限（工作日）' })
  timeLimitWorkingDays!: number;
  @ApiProperty({ type: [String] }) integrations!: string[];
  @ApiProperty({
    description: 'JSON Schema (draft 2020-12)，含 examples',
    type: 'object',
    additionalProperties: true,
  })
  formSchema!: Record<string, unknown>;
  @ApiProperty({ type: [MaterialRequirementDto] })
  materials!: MaterialRequirementDto[];
}

export class CertificateTypeListDto {
  @ApiProperty({ type: [CertificateTypeDto] }) items!: CertificateTypeDto[];
}

export function mapCertificateType({ code, version }: ActiveCertificateType): CertificateTypeDto {
  return {
    code,
    name: version.name,
    nameEn: version.nameEn,
    description: version.description,
    version: version.version,
    issuingLevel: version.issuingLevel,
    committeeBasis: version.committeeBasis,
    validityDays: version.validityDays,
    timeLimitWorkingDays: version.timeLimitWorkingDays,
    integrations: version.integrations,
    formSchema: version.formSchema,
    materials: version.materials,
  };
}
