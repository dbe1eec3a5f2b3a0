import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { OrganizationRegistryService, type DistrictTree } from '@zhengming/organizations';
import { CertificateTypesService, type CertificateTypeDefinition } from '@zhengming/certificate-types';
import { AuditLog } from '@zhengming/audit';
import { SystemClock } from '@zhengming/clock';
import { PeopleService, StaffRoleEntity, StaffService, type StaffGrantInput } from '@zhengming/identity';
import type { PiiCipher } from '@zhengming/pii';
import { upsertCalendarYear, type CalendarYearData } from '@zhengming/applications';

/** The seed files live beside the sources; the build copies them next to the compiled code. */
export const SEEDS_DIR = join(__dirname, 'seeds');

export interface SeedReport {
  committeesImported: number | null;
  calendarYears: number[];
  types: Record<string, string>;
  staffGranted: number | null;
}

export interface StaffSeed {
  staff: (StaffGrantInput & { username: string })[];
}

export async function loadStaffSeed(): Promise<StaffSeed> {
  return JSON.parse(await readFile(join(SEEDS_DIR, 'staff.synthetic.json'), 'utf8')) as StaffSeed;
}

/**
 * The synthetic staff (clerk-a, approver-a, clerk-b, approver-b, supervisor-a, admin), registered by
 * name and ID number only while nobody holds a staff role: after that the district admin manages
 * staff, and a revoked seeded role stays revoked across restarts.
 */
export async function seedStaff(dataSource: DataSource, cipher: PiiCipher): Promise<number | null> {
  if (await dataSource.getRepository(StaffRoleEntity).exists()) return null;
  const clock = new SystemClock();
  const staff = new StaffService(
    dataSource,
    new PeopleService(dataSource, cipher),
    new AuditLog(dataSource, clock),
    clock,
  );
  const { staff: grants } = await loadStaffSeed();
  for (const { username: _username, ...grant } of grants) await staff.grant(grant, null);
  return grants.length;
}

export async function loadCertificateTypeDefinitions(
  dir = join(SEEDS_DIR, 'certificate-types'),
): Promise<CertificateTypeDefinition[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8')) as CertificateTypeDefinition),
  );
}

/**
 * Brings the district's reference data in: the district and its towns always, the synthetic
 * committee list only while no committee exists (a real registry import replaces it), and the
 * certificate types, each published as a new version only when its definition changed.
 */
/** The district and its 13 towns: fixed reference data that a registry import hangs committees on. */
export async function ensureDistrictTree(dataSource: DataSource): Promise<void> {
  const tree = JSON.parse(await readFile(join(SEEDS_DIR, 'district.json'), 'utf8')) as DistrictTree;
  await new OrganizationRegistryService(dataSource).ensureDistrict(tree);
}

export async function seedReferenceData(dataSource: DataSource, cipher: PiiCipher): Promise<SeedReport> {
  const registry = new OrganizationRegistryService(dataSource);
  await ensureDistrictTree(dataSource);
  let committeesImported: number | null = null;
  if (!(await registry.hasCommittees())) {
    const csv = await readFile(join(SEEDS_DIR, 'committees.synthetic.csv'), 'utf8');
    committeesImported = (await registry.importCommittees(csv)).total;
  }
  const types = new CertificateTypesService(dataSource);
  const outcomes: Record<string, string> = {};
  for (const definition of await loadCertificateTypeDefinitions()) {
    outcomes[definition.code] = (await types.publish(definition)).outcome;
  }
  const calendarYears = await seedCalendar(dataSource);
  return { committeesImported, calendarYears, types: outcomes, staffGranted: await seedStaff(dataSource, cipher) };
}

/** The holiday tables, one file per year: every start brings in a newly published year or a correction. */
export async function seedCalendar(dataSource: DataSource): Promise<number[]> {
  const dir = join(SEEDS_DIR, 'calendar');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  const years: number[] = [];
  for (const file of files) {
    const data = JSON.parse(await readFile(join(dir, file), 'utf8')) as CalendarYearData;
    await dataSource.transaction((manager) => upsertCalendarYear(manager, data));
    years.push(data.year);
  }
  return years;
}
