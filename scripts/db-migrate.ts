/** `pnpm db:migrate`: creates (if missing) and migrates every subgraph's database; idempotent. */
import { databaseEnv, loadEnv, openDatabase, resolveDatabaseTarget } from '@fitgraph/service-kit';
import { allSubgraphs } from '@fitgraph/stack';

const env = loadEnv(databaseEnv);
for (const definition of allSubgraphs) {
  const database = await openDatabase({
    subgraph: definition.name,
    schema: definition.dbSchema,
    target: resolveDatabaseTarget(definition.name, env),
  });
  console.log(`${definition.name}: migrated ${database.description}`);
  await database.close();
}
