import { AuditLog } from '@zhengming/audit';
import { SystemClock } from '@zhengming/clock';
import { runWithDataSource } from './with-data-source';

/**
 * `npm run audit:verify`: recomputes the audit log's hash chain from the first event and reports the
 * first broken link (exit 1), or the verified head to compare with an earlier run (exit 0).
 */
void runWithDataSource(async (dataSource) => {
  const result = await new AuditLog(dataSource, new SystemClock()).verify();
  if (result.ok) {
    process.stdout.write(
      `audit log intact: ${result.checked} events verified; head seq ${result.head.seq} hash ${result.head.hash}\n`,
    );
    return 0;
  }
  process.stdout.write(
    `audit log BROKEN at seq ${result.seq} (${result.reason}): expected ${result.expected}, stored ${result.stored}; ` +
      `${result.checked} events before it verified\n`,
  );
  return 1;
});
