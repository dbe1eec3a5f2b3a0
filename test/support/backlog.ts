import type { Client } from 'pg';

/**
 * Clones of one approved application, `count` in all with the original, each approved (whatever the
 * original has become meanwhile) with its own certificate.issue outbox row, as a busy day would leave
 * them for the worker. The workflow that
 * gets an application approved is tested on its own; this is the quick way to a thousand of them.
 */
export async function approvedBacklog(sql: Client, applicationId: string, count: number): Promise<void> {
  const { rows: columns } = await sql.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
      WHERE table_name = 'applications' AND column_name NOT IN ('id', 'reference_no')`,
  );
  const list = columns.map((c) => `"${c.column_name}"`).join(', ');
  const values = columns.map((c) => (c.column_name === 'status' ? `'approved'` : `"${c.column_name}"`)).join(', ');
  await sql.query(
    `INSERT INTO applications (reference_no, ${list})
     SELECT 'BL' || lpad(g::text, 12, '0'), ${values} FROM applications a, generate_series(2, $1) g WHERE a.id = $2`,
    [count, applicationId],
  );
  await sql.query(
    `INSERT INTO outbox (topic, aggregate_id, payload, dedupe_key)
     SELECT 'certificate.issue', id, jsonb_build_object('applicationId', id, 'approvedBy', approved_by),
            'certificate.issue:' || id
       FROM applications WHERE status = 'approved'
     ON CONFLICT (dedupe_key) DO NOTHING`,
  );
}
