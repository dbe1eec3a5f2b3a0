import type { DataSource } from 'typeorm';

interface PgPool {
  query<R>(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: R[] }>;
}

/**
 * A named prepared statement on the driver's pool, for the few queries on a hot path (thousands a
 * second): PostgreSQL plans it once per connection instead of on every call, and TypeORM's query
 * runner is not set up and torn down around it. Everything else goes through TypeORM.
 */
export async function preparedQuery<R>(
  dataSource: DataSource,
  name: string,
  text: string,
  values: unknown[],
): Promise<R[]> {
  const pool = (dataSource.driver as unknown as { master: PgPool }).master;
  return (await pool.query<R>({ name, text, values })).rows;
}
