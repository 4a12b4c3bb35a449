import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Db } from '../db/connect';
import { errorFields, logger } from './logger';

export interface SmtpCatcher {
  url: string;
  stop(): Promise<void>;
}

export interface CatcherHooks {
  /** Runs before each recipient is accepted (fault tests stop a sender mid-send here). */
  beforeRecipient?: () => Promise<void>;
}

/** A local SMTP server that accepts every message and keeps it in the mailbox table. */
export async function startSmtpCatcher(
  db: Db,
  port: number,
  host = '127.0.0.1',
  hooks: CatcherHooks = {},
): Promise<SmtpCatcher> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    // On stop, open connections (a worker's pool keeps them) are closed after 1 s, not the default 30 s.
    closeTimeout: 1_000,
    onRcptTo(_address, _session, callback) {
      (hooks.beforeRecipient ?? (async () => {}))().then(() => callback(), callback);
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then(async (mail) => {
          await db
            .insertInto('mailbox')
            .values({
              message_id: mail.messageId ?? null,
              envelope_from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
              envelope_to: JSON.stringify(session.envelope.rcptTo.map((r) => r.address)),
              subject: mail.subject ?? null,
              body_text: mail.text ?? null,
              body_html: typeof mail.html === 'string' ? mail.html : null,
              headers: JSON.stringify(
                Object.fromEntries(
                  [...mail.headers].map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
                ),
              ),
            })
            .onConflict((oc) =>
              oc
                .column('message_id')
                .where('message_id', 'is not', null)
                .doUpdateSet((eb) => ({ deliveries: eb('mailbox.deliveries', '+', 1) })),
            )
            .execute();
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  // A sender that vanishes mid-conversation (a killed worker) resets its connection; that is its problem, not ours.
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ECONNRESET') logger('smtp').warn(errorFields(error), 'SMTP catcher error');
  });
  const address = server.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `smtp://${host}:${actualPort}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
