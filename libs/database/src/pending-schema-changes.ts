import type { DataSource } from 'typeorm';

/**
 * The SQL that `migration:generate` would write: empty when the entities and the applied
 * migrations agree. Used by the readiness check's tests and by the schema drift test.
 */
export async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  const sql = await dataSource.driver.createSchemaBuilder().log();
  return sql.upQueries.map((query) => query.query);
}
