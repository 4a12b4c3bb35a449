import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import type { Locale } from '../domain/locales';

const TEMPLATE_DIR = path.resolve(__dirname, '..', 'templates', 'letters');

export interface RenderedLetter {
  subject: string;
  text: string;
  html: string;
}

type Compiled = Handlebars.TemplateDelegate<Record<string, unknown>>;
const cache = new Map<string, Compiled>();

function template(locale: Locale, name: string, part: 'subject' | 'text' | 'html'): Compiled {
  const key = `${locale}/${name}.${part}`;
  let compiled = cache.get(key);
  if (!compiled) {
    const source = fs.readFileSync(path.join(TEMPLATE_DIR, locale, `${name}.${part}.hbs`), 'utf8');
    // Only HTML needs escaping; subjects and plain text must show "&" and quotes as written.
    compiled = Handlebars.compile(source.trim(), { noEscape: part !== 'html', strict: true });
    cache.set(key, compiled);
  }
  return compiled;
}

const HTML_FRAME = (lang: string, body: string) =>
  `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"></head><body style="font-family:sans-serif;line-height:1.6">${body}</body></html>`;

/** Renders one letter in the customer's language; a missing value is an error, never a blank in a letter. */
export function renderLetter(locale: Locale, name: string, context: Record<string, unknown>): RenderedLetter {
  return {
    subject: template(locale, name, 'subject')(context),
    text: `${template(locale, name, 'text')(context)}\n`,
    html: HTML_FRAME(locale, template(locale, name, 'html')(context)),
  };
}
