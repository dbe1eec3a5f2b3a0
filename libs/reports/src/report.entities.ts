import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { VerifierSectorOrAnonymous } from '@zhengming/verification';

/**
 * The statistics roll-ups (基层证明统计). Figures are counted per Asia/Shanghai calendar day,
 * committee and certificate type from the raw tables by the refresh (report-refresh.service.ts),
 * and per month from the days; reports read these instead of scanning applications. Every column
 * is an exact count, so a recount from the raw tables gives the same numbers.
 */
abstract class ReportCountColumns {
  /** Applications submitted (first submission) that day. */
  @Column({ type: 'integer', default: 0 })
  submitted!: number;

  /** Certificates issued that day (a later revocation does not undo an issue). */
  @Column({ type: 'integer', default: 0 })
  issued!: number;

  /** Signatures made with the committee's seals that day (today: one per issued certificate). */
  @Column({ name: 'seal_uses', type: 'integer', default: 0 })
  sealUses!: number;

  /** Applications rejected (不予通过) that day. */
  @Column({ type: 'integer', default: 0 })
  rejected!: number;

  /** Certificates revoked that day. */
  @Column({ type: 'integer', default: 0 })
  revoked!: number;

  /** Of the certificates issued that day: decided within the promised working days (承诺时限). */
  @Column({ name: 'issued_within_limit', type: 'integer', default: 0 })
  issuedWithinLimit!: number;

  /** Of the certificates issued that day: those whose application had at least one supplement round. */
  @Column({ name: 'issued_with_supplement', type: 'integer', default: 0 })
  issuedWithSupplement!: number;

  /** Of the certificates issued that day: their supplement rounds added up. */
  @Column({ name: 'supplement_rounds', type: 'integer', default: 0 })
  supplementRounds!: number;
}

@Entity({ name: 'report_daily' })
// The refresh sums a committee's month from its days.
@Index('report_daily_committee_day_idx', ['committeeId', 'day'])
export class ReportDailyEntity extends ReportCountColumns {
  @PrimaryColumn({ type: 'date' })
  day!: string;

  @PrimaryColumn({ name: 'committee_id', type: 'uuid' })
  committeeId!: string;

  @PrimaryColumn({ name: 'type_code', type: 'varchar', length: 64 })
  typeCode!: string;
}

/** The same counts per month (`month` = its first day), the sum of the month's days. */
@Entity({ name: 'report_monthly' })
export class ReportMonthlyEntity extends ReportCountColumns {
  @PrimaryColumn({ type: 'date' })
  month!: string;

  @PrimaryColumn({ name: 'committee_id', type: 'uuid' })
  committeeId!: string;

  @PrimaryColumn({ name: 'type_code', type: 'varchar', length: 64 })
  typeCode!: string;
}

abstract class ProcessingHistogramColumns {
  @Column({ type: 'integer' })
  count!: number;
}

/** How long the certificates issued that day took, as a histogram of whole hours. */
@Entity({ name: 'report_processing_daily' })
@Index('report_processing_daily_committee_day_idx', ['committeeId', 'day'])
export class ReportProcessingDailyEntity extends ProcessingHistogramColumns {
  @PrimaryColumn({ type: 'date' })
  day!: string;

  @PrimaryColumn({ name: 'committee_id', type: 'uuid' })
  committeeId!: string;

  @PrimaryColumn({ name: 'type_code', type: 'varchar', length: 64 })
  typeCode!: string;

  /** Whole hours from submission to issue (rounded down): exact buckets, so percentiles are exact. */
  @PrimaryColumn({ type: 'integer' })
  hours!: number;
}

@Entity({ name: 'report_processing_monthly' })
export class ReportProcessingMonthlyEntity extends ProcessingHistogramColumns {
  @PrimaryColumn({ type: 'date' })
  month!: string;

  @PrimaryColumn({ name: 'committee_id', type: 'uuid' })
  committeeId!: string;

  @PrimaryColumn({ name: 'type_code', type: 'varchar', length: 64 })
  typeCode!: string;

  /** Whole hours from submission to issue (rounded down): exact buckets, so percentiles are exact. */
  @PrimaryColumn({ type: 'integer' })
  hours!: number;
}

/**
 * The monthly histograms of the whole district, without the committee: a district-wide year reads a
 * few thousand rows here instead of a row per committee, type and hour.
 */
@Entity({ name: 'report_processing_district_monthly' })
export class ReportProcessingDistrictMonthlyEntity {
  @PrimaryColumn({ type: 'date' })
  month!: string;

  @PrimaryColumn({ name: 'type_code', type: 'varchar', length: 64 })
  typeCode!: string;

  @PrimaryColumn({ type: 'integer' })
  hours!: number;

  @Column({ type: 'integer' })
  count!: number;
}

/**
 * The committee of checks that identified no certificate (an unknown number, a foreign PDF): they
 * belong to no committee and no type, and show only in district-wide figures.
 */
export const NO_COMMITTEE = '00000000-0000-0000-0000-000000000000';

abstract class VerificationCountColumns {
  @Column({ type: 'integer' })
  count!: number;
}

/** Verifications per day, committee, type and verifier sector; kept by a trigger on `verifications`. */
@Entity({ name: 'report_verifications_daily' })
export class ReportVerificationsDailyEntity extends VerificationCountColumns {
  @PrimaryColumn({ type: 'date' })
  day!: string;

  @PrimaryColumn({ name: 'committee_id', type: 'uuid' })
  committeeId!: string;

  @PrimaryColumn({ name: 'type_code', type: 'varchar', length: 64 })
  typeCode!: string;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  sector!: VerifierSectorOrAnonymous;
}

@Entity({ name: 'report_verifications_monthly' })
export class ReportVerificationsMonthlyEntity extends VerificationCountColumns {
  @PrimaryColumn({ type: 'date' })
  month!: string;

  @PrimaryColumn({ name: 'committee_id', type: 'uuid' })
  committeeId!: string;

  @PrimaryColumn({ name: 'type_code', type: 'varchar', length: 64 })
  typeCode!: string;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  sector!: VerifierSectorOrAnonymous;
}

/** District-wide verification counts per month (checks that identified no certificate included). */
@Entity({ name: 'report_verifications_district_monthly' })
export class ReportVerificationsDistrictMonthlyEntity {
  @PrimaryColumn({ type: 'date' })
  month!: string;

  /** '' for checks that identified no certificate. */
  @PrimaryColumn({ name: 'type_code', type: 'varchar', length: 64 })
  typeCode!: string;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  sector!: VerifierSectorOrAnonymous;

  @Column({ type: 'integer' })
  count!: number;
}

/**
 * (day, committee) cells whose figures changed since the last refresh, written by triggers on
 * applications and certificates. Append-only (no uniqueness): a change committed while a refresh
 * runs leaves a row that refresh could not see, so the next refresh recounts it.
 */
@Entity({ name: 'report_dirty' })
export class ReportDirtyEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  @Column({ type: 'date' })
  day!: string;

  @Column({ name: 'committee_id', type: 'uuid' })
  committeeId!: string;
}

export const REPORT_ENTITIES = [
  ReportDailyEntity,
  ReportMonthlyEntity,
  ReportProcessingDailyEntity,
  ReportProcessingMonthlyEntity,
  ReportProcessingDistrictMonthlyEntity,
  ReportVerificationsDailyEntity,
  ReportVerificationsMonthlyEntity,
  ReportVerificationsDistrictMonthlyEntity,
  ReportDirtyEntity,
];
