import nodemailer, { type Transporter } from 'nodemailer';

/** Default bound on each SMTP wait (connect, greeting, any reply); nodemailer's own is 10 minutes. */
export const DEFAULT_SMTP_TIMEOUT_MS = 20_000;

/**
 * One pooled transport per process: a burst of letters reuses a few SMTP connections instead of
 * opening one per letter, and no conversation can hang longer than the timeout.
 */
export function createTransport(smtpUrl: string, timeoutMs = DEFAULT_SMTP_TIMEOUT_MS, maxConnections = 5): Transporter {
  const url = new URL(smtpUrl);
  const secure = url.protocol === 'smtps:';
  return nodemailer.createTransport({
    host: url.hostname,
    port: Number(url.port) || (secure ? 465 : 587),
    secure,
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    pool: true,
    maxConnections,
    maxMessages: 1000,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
}
