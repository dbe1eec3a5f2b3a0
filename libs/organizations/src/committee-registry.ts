import { parse } from 'csv-parse/sync';
import { COMMITTEE_KINDS, CODE_LENGTH_OF_LEVEL, type CommitteeKind } from './organization';

/** One committee of the district's registry (村居名册), as the import file states it. */
export interface RegistryCommittee {
  line: number;
  code: string;
  name: string;
  kind: CommitteeKind;
  townCode: string;
}

export interface RegistryProblem {
  line: number;
  column?: string;
  message: string;
}

export interface TownRef {
  code: string;
  name: string;
}

export type RegistryParseResult =
  { ok: true; committees: RegistryCommittee[] } | { ok: false; problems: RegistryProblem[] };

const COLUMNS = ['code', 'name', 'kind', 'parent_town'] as const;
const MAX_ROWS = 5000;

/**
 * Reads the registry CSV (`code,name,kind,parent_town`; lines starting with `#` are comments) and
 * checks every row. Any problem rejects the whole file: a registry half-applied would leave
 * residents choosing from a list that is neither the old nor the new one.
 */
export function parseCommitteeRegistry(csv: string, towns: readonly TownRef[]): RegistryParseResult {
  const problems: RegistryProblem[] = [];
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(csv.replace(/^\uFEFF/, ''), {
      columns: (header: string[]) => {
        const names = header.map((h) => h.trim());
        const same = names.length === COLUMNS.length && names.every((name, i) => name === COLUMNS[i]);
        if (!same) {
          throw new RegistryHeaderError(`表头应为 ${COLUMNS.join(',')}，实际为 ${names.join(',')}`);
        }
        return names;
      },
      comment: '#',
      comment_no_infix: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
      max_record_size: 4096,
    }) as { record: Record<string, string>; info: { lines: number } }[];
  } catch (error) {
    if (error instanceof RegistryHeaderError) {
      return { ok: false, problems: [{ line: 1, message: error.message }] };
    }
    const line = (error as { lines?: number }).lines ?? 0;
    return {
      ok: false,
      problems: [{ line, message: `CSV 格式错误：${(error as Error).message}` }],
    };
  }

  if (records.length === 0)
    return {
      ok: false,
      problems: [{ line: 1, message: '文件中没有任何村（居）委会' }],
    };
  if (records.length > MAX_ROWS) {
    return {
      ok: false,
      problems: [{ line: 1, message: `行数超过上限 ${MAX_ROWS}` }],
    };
  }

  const townByCode = new Map(towns.map((t) => [t.code, t]));
  const townByName = new Map(towns.map((t) => [t.name, t]));
  const lineOfCode = new Map<string, number>();
  const lineOfName = new Map<string, number>();
  const committees: RegistryCommittee[] = [];

  for (const { record, info } of records) {
    const line = info.lines;
    const rowProblems: RegistryProblem[] = [];
    const code = record.code ?? '';
    const name = record.name ?? '';
    const kind = record.kind ?? '';
    const parent = record.parent_town ?? '';

    if (!new RegExp(`^\\d{${CODE_LENGTH_OF_LEVEL.committee}}$`).test(code)) {
      rowProblems.push({
        line,
        column: 'code',
        message: `编码应为 12 位数字，实际为“${code}”`,
      });
    } else if (lineOfCode.has(code)) {
      rowProblems.push({
        line,
        column: 'code',
        message: `编码 ${code} 与第 ${lineOfCode.get(code)} 行重复`,
      });
    }
    if (name.length < 2 || name.length > 100 || /[\p{Cc}]/u.test(name)) {
      rowProblems.push({
        line,
        column: 'name',
        message: '名称应为 2 至 100 个字符，且不含控制字符',
      });
    }
    if (!(COMMITTEE_KINDS as readonly string[]).includes(kind)) {
      rowProblems.push({
        line,
        column: 'kind',
        message: `类型应为 village 或 community，实际为“${kind}”`,
      });
    }
    const town = townByCode.get(parent) ?? townByName.get(parent);
    if (!town) {
      rowProblems.push({
        line,
        column: 'parent_town',
        message: `所属镇街“${parent}”不是本区的镇或街道`,
      });
    } else if (/^\d{12}$/.test(code) && !code.startsWith(town.code)) {
      rowProblems.push({
        line,
        column: 'code',
        message: `编码 ${code} 不在所属镇街 ${town.code} 的编码段内`,
      });
    }
    if (town && name) {
      const key = `${town.code}/${name}`;
      if (lineOfName.has(key)) {
        rowProblems.push({
          line,
          column: 'name',
          message: `同一镇街内名称“${name}”与第 ${lineOfName.get(key)} 行重复`,
        });
      }
      lineOfName.set(key, lineOfName.get(key) ?? line);
    }
    if (/^\d{12}$/.test(code)) lineOfCode.set(code, lineOfCode.get(code) ?? line);

    if (rowProblems.length > 0 || !town) {
      problems.push(...rowProblems);
      continue;
    }
    committees.push({
      line,
      code,
      name,
      kind: kind as CommitteeKind,
      townCode: town.code,
    });
  }

  return problems.length > 0 ? { ok: false, problems } : { ok: true, committees };
}

class RegistryHeaderError extends Error {}
