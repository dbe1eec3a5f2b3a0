import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import type {
  CertificateTemplate,
  FormSchema,
  Integration,
  MaterialRequirement,
  CertificateTypeDefinition,
} from './certificate-type-definition';

@Entity({ name: 'certificate_types' })
export class CertificateTypeEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 64, unique: true })
  code!: string;

  /** The version new applications use; older versions stay for the applications made with them. */
  @Column({ name: 'active_version', type: 'integer' })
  activeVersion!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

@Entity({ name: 'certificate_type_versions' })
@Index('certificate_type_versions_type_version_key', ['typeId', 'version'], {
  unique: true,
})
export class CertificateTypeVersionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'type_id', type: 'uuid' })
  typeId!: string;

  @ManyToOne(() => CertificateTypeEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'type_id' })
  type?: Relation<CertificateTypeEntity>;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ name: 'name_en', type: 'varchar', length: 200 })
  nameEn!: string;

  @Column({ type: 'text' })
  description!: string;

  @Column({ name: 'issuing_level', type: 'varchar', length: 16 })
  issuingLevel!: CertificateTypeDefinition['issuingLevel'];

  @Column({ name: 'committee_basis', type: 'varchar', length: 32 })
  committeeBasis!: CertificateTypeDefinition['committeeBasis'];

  @Column({ name: 'validity_days', type: 'integer' })
  validityDays!: number;

  @Column({ name: 'time_limit_working_days', type: 'integer' })
  timeLimitWorkingDays!: number;

  @Column({ type: 'jsonb' })
  integrations!: Integration[];

  /** `json`, not `jsonb`: the form shows fields in the order the definition lists them. */
  @Column({ name: 'form_schema', type: 'json' })
  formSchema!: FormSchema;

  @Column({ type: 'jsonb' })
  materials!: MaterialRequirement[];

  /** Two letters in certificate numbers; null only on versions published before certificates were issued. */
  @Column({ name: 'number_code', type: 'char', length: 2, nullable: true })
  numberCode!: string | null;

  /** The certificate's wording, versioned with the form it draws on; `json` keeps the author's key order. */
  @Column({ name: 'certificate_template', type: 'json', nullable: true })
  template!: CertificateTemplate | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
