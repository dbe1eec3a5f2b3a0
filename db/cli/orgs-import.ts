import { readFile, stat } from 'node:fs/promises';
import {
  OrganizationErrorCode,
  OrganizationException,
  OrganizationRegistryService,
  type RegistryProblem,
} from '@zhengming/organizations';
import { runWithDataSource } from './with-data-source';
import { ensureDistrictTree } from '../seed';

const MAX_FILE_BYTES = 5 * 1024 * 1024;

/**
 * `npm run orgs:import -- <file.csv>`: replaces the committee list with the district's registry.
 * Every row is checked first; one bad row rejects the whole file and nothing changes.
 */
void runWithDataSource(async (dataSource) => {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('用法 usage: npm run orgs:import -- <registry.csv>  (columns: code,name,kind,parent_town)\n');
    return 2;
  }
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) {
    process.stderr.write(`找不到文件 file not found: ${file}\n`);
    return 2;
  }
  if (info.size > MAX_FILE_BYTES) {
    process.stderr.write(`文件过大 file too large: ${info.size} bytes (max ${MAX_FILE_BYTES})\n`);
    return 2;
  }
  await ensureDistrictTree(dataSource);
  try {
    const summary = await new OrganizationRegistryService(dataSource).importCommittees(await readFile(file, 'utf8'));
    process.stdout.write(
      `已导入 imported ${summary.total} committees: ${summary.created} created, ${summary.updated} updated, ` +
        `${summary.unchanged} unchanged, ${summary.deactivated} deactivated\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof OrganizationException && error.code === OrganizationErrorCode.ImportInvalid) {
      const { problems } = error.details as { problems: RegistryProblem[] };
      process.stderr.write(
        `${error.code}: ${error.message}（共 ${problems.length} 处错误 / ${problems.length} problem(s)）\n`,
      );
      for (const p of problems) {
        process.stderr.write(`  第 ${p.line} 行 line ${p.line}${p.column ? ` [${p.column}]` : ''}: ${p.message}\n`);
      }
      return 1;
    }
    throw error;
  }
});
