/**
 * Applies database migrations to DATABASE_URL (the API and worker processes expect them applied)
 * and, when ADMIN_TOKEN is set, gives the "admin" person that token.
 */
import { upsertPersonToken } from '../api/auth';
import { connect, migrateToLatest } from '../db/connect';
import { productionConfig } from './production';

async function main(): Promise<void> {
  const config = productionConfig(['DATABASE_URL']);
  const db = connect(config.DATABASE_URL, 1);
  await migrateToLatest(db);
  if (config.ADMIN_TOKEN) await upsertPersonToken(db, { name: 'admin', role: 'admin' }, config.ADMIN_TOKEN);
  await db.destroy();
  console.log(`migrations applied${config.ADMIN_TOKEN ? '; admin token set' : ''}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
