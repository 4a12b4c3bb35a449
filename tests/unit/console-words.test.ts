import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCALES_DIR, formatAmount, formatLocalDate, messages } from '../../console/i18n';
import { NAV } from '../../console/pages';
import { VIEWS_DIR } from '../../console/render';
import { STAGES } from '../../domain/stages';
import { ROLES } from '../../domain/roles';

function filesUnder(dir: string, extension: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith(extension))
    .map((name) => path.join(dir, name));
}

/** Every literal key a template ({{t "x"}}) or a page module (t('x')) asks for. */
function keysInUse(): Map<string, string> {
  const used = new Map<string, string>();
  const sources = [
    ...filesUnder(VIEWS_DIR, '.hbs').map((file) => ({ file, pattern: /\{\{\s*t\s+"([^"]+)"/g })),
    ...filesUnder(path.resolve(LOCALES_DIR, '..'), '.ts').map((file) => ({ file, pattern: /\bt\(\s*'([^'$]+)'/g })),
  ];
  for (const { file, pattern } of sources)
    for (const match of fs.readFileSync(file, 'utf8').matchAll(pattern)) used.set(match[1], file);
  return used;
}

describe("the console's words", () => {
  it('has every key in both languages, file by file', () => {
    for (const file of fs.readdirSync(LOCALES_DIR).filter((name) => name.endsWith('.json'))) {
      const catalog = JSON.parse(fs.readFileSync(path.join(LOCALES_DIR, file), 'utf8')) as Record<string, object>;
      expect(Object.keys(catalog['zh-CN']).sort(), file).toEqual(Object.keys(catalog.en).sort());
    }
  });

  it('has every key a template or page uses, the navigation, every stage and role', () => {
    const known = messages();
    const wanted = [
      ...keysInUse().keys(),
      ...NAV.map((item) => item.key),
      ...STAGES.map((stage) => `stage.${stage}`),
      ...ROLES.map((role) => `role.${role}`),
    ];
    const missing = wanted.filter((key) => !(key in known['zh-CN']) || !(key in known.en));
    expect(missing).toEqual([]);
  });

  it('formats amounts and dates for the language', () => {
    const amount = { value: '1234567.00', currency: 'CNY' };
    expect(formatAmount(amount, 'zh-CN')).toBe('¥1,234,567.00');
    expect(formatAmount(amount, 'en')).toBe('CN¥1,234,567.00');
    expect(formatLocalDate('2026-11-26', 'zh-CN')).toBe('2026年11月26日');
    expect(formatLocalDate('2026-11-26', 'en')).toBe('November 26, 2026');
  });
});
