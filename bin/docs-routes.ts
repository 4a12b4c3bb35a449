/**
 * Writes the API table of docs/api.md from the route definitions (npm run docs:routes);
 * with --check it only says whether docs/api.md is up to date (exit 1 when stale).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROUTES_DOC, withRoutesTable } from '../api/route-table';

const name = path.relative(path.join(__dirname, '..'), ROUTES_DOC);
const current = fs.readFileSync(ROUTES_DOC, 'utf8');
const generated = withRoutesTable(current);
if (process.argv.includes('--check')) {
  if (generated !== current) {
    console.error(`${name}: the API table is stale; run npm run docs:routes`);
    process.exit(1);
  }
  console.log(`${name}: the API table is up to date`);
} else if (generated !== current) {
  fs.writeFileSync(ROUTES_DOC, generated);
  console.log(`${name}: API table written`);
} else {
  console.log(`${name}: API table already up to date`);
}
