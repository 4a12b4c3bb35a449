/** A stateless API process; run as many as the load needs behind a load balancer. */
import { temporalConnectionSettings } from '../config/temporal';
import { connect } from '../db/connect';
import { connectClient, startApiServer } from '../stack/processes';
import { productionConfig } from './production';

async function main(): Promise<void> {
  const config = productionConfig(['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SMTP_URL']);
  const db = connect(config.DATABASE_URL);
  const client = await connectClient(temporalConnectionSettings(config, config.TEMPORAL_ADDRESS), config.TEMPORAL_NAMESPACE);
  const server = await startApiServer({ db, client, config, smtpUrl: config.SMTP_URL, mailboxEnabled: false }, config.PORT, config.HOST);
  console.log(`Huikuan API listening on http://${config.HOST}:${config.PORT}`);
  const stop = () => server.close(() => { void client.connection.close().then(() => db.destroy()).then(() => process.exit(0)); });
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => { console.error(error); process.exit(1); });
