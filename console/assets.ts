import path from 'node:path';
import express, { type Router } from 'express';

const fromPackage = (name: string, ...rest: string[]) =>
  path.join(path.dirname(require.resolve(`${name}/package.json`)), ...rest);

const ONE_DAY_SECONDS = 86_400;

/**
 * The console's scripts, styles and fonts, served by the app itself from node_modules (no CDN: many
 * customer networks have no internet): htmx, Apache ECharts, Noto Sans SC (Chinese on machines without
 * a CJK font) and the console's own CSS and script.
 */
export function consoleAssets(): Router {
  const router = express.Router();
  const options = { maxAge: ONE_DAY_SECONDS * 1000, fallthrough: false, index: false } as const;
  router.get('/assets/htmx.js', (_req, res) =>
    res.sendFile(fromPackage('htmx.org', 'dist', 'htmx.min.js'), { maxAge: options.maxAge }),
  );
  router.get('/assets/echarts.js', (_req, res) =>
    res.sendFile(fromPackage('echarts', 'dist', 'echarts.min.js'), { maxAge: options.maxAge }),
  );
  router.use('/assets/fonts/noto-sans-sc', express.static(fromPackage('@fontsource/noto-sans-sc'), options));
  router.use('/assets/console', express.static(path.join(__dirname, 'static'), { ...options, maxAge: 0 }));
  return router;
}
