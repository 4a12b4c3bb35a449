/**
 * Writes the README's API table from the route definitions (npm run docs:routes);
 * with --check it only says whether the README is up to date (exit 1 when stale).
 */
import fs from 'node:fs';
import path from 'node:path';
import { withRoutesTable } from '../api/route-table';

const readmePath = path.join(__dirname, '..', 'README.md');
const current = fs.readFileSync(readmePath, 'utf8');
const generated = withRoutesTable(current);
if (process.argv.includes('--check')) {
  if (generated !== current) {
    console.error('README.md: the API table is stale; run npm run docs:routes');
    process.exit(1);
  }
  console.log('README.md: the API table is up to date');
} else if (generated !== current) {
  fs.writeFileSync(readmePath, generated);
  console.log('README.md: API table written');
} else {
  console.log('README.md: API table already up to date');
}
