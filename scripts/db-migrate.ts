/** `pnpm db:migrate`: creates (if missing) and migrates every subgraph's database; idempotent. */
import { databaseEnv, databaseTargetOf, migrationsFolder, subgraphDatabaseEnv } from '@fitgraph/platform';
import { configOrExit, loadEnv, openDatabase } from '@fitgraph/service-kit';
import { allSubgraphs } from '@fitgraph/stack';

const shape = Object.assign({ ...databaseEnv }, ...allSubgraphs.map((definition) => subgraphDatabaseEnv(definition.name)));
const env = configOrExit('db:migrate', () => loadEnv(shape, process.env)) as Parameters<typeof databaseTargetOf>[1];
for (const definition of allSubgraphs) {
  const database = await openDatabase({
    schema: definition.dbSchema,
    migrationsFolder: migrationsFolder(definition.name),
    target: databaseTargetOf(definition.name, env),
  });
  console.log(`${definition.name}: migrated ${database.description}`);
  await database.close();
}
