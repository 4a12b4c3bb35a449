// Entry of a CPU thread (stack/threads.ts). Plain CommonJS so it starts the same way under tsx
// (`npm start`) and under vitest: it registers tsx itself, then loads the TypeScript job modules.
const { parentPort } = require('node:worker_threads');
require('tsx/cjs/api').register();

function serializeError(error) {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  // Own fields (a field name, a code) come back too, so the caller can rebuild its own error.
  const data = JSON.parse(JSON.stringify({ ...error }));
  // The class's name: a subclass that does not set `name` still says what it is.
  return { name: error.constructor?.name || error.name, message: error.message, stack: error.stack, data };
}

parentPort.on('message', async ({ id, modulePath, exportName, args }) => {
  try {
    const job = require(modulePath)[exportName];
    if (typeof job !== 'function') throw new Error(`${modulePath} exports no function ${exportName}`);
    parentPort.postMessage({ id, ok: true, value: await job(...args) });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, error: serializeError(error) });
  }
});
