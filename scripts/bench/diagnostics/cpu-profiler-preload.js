/**
 * Preloaded into the services by `npm run bench -- --profile` (NODE_OPTIONS=--require …,
 * because node refuses --cpu-prof in NODE_OPTIONS): profiles the process with the
 * inspector and writes a `.cpuprofile` into TRX_BENCH_PROFILE_DIR when it exits. Only the
 * services (`apps/<name>/dist/main.js`) are profiled; the build and npm are left alone.
 */
/* global require, process */
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS preload, run before any loader */
'use strict';
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');

const dir = process.env.TRX_BENCH_PROFILE_DIR;
const main = process.argv[1] || '';
if (dir && /[/\\]apps[/\\][^/\\]+[/\\]dist[/\\]main\.js$/.test(main)) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  process.on('exit', () => {
    // The main-thread session answers synchronously, so this runs to the end before exit.
    session.post('Profiler.stop', (err, result) => {
      if (err || !result) return;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `CPU.${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
