/* global require, process, Buffer, setInterval */
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS script, spawned with no loader */
'use strict';
// The speed probe's worker (scripts/bench/speed-probe.ts): the same piece of CPU work every
// interval, timed by the CPU it took. On a VM the same work takes more CPU while the host is
// busier, and so does every order. Prints "<epoch ms> <CPU µs>" per sample.
const { createHash } = require('node:crypto');

const intervalMs = Number(process.argv[2] || 500);
// About 8 ms of CPU on the VMs of docs/benchmark.md: 1.6 % of a core at the default interval.
const HASHES = 5000;

function work() {
  let block = Buffer.alloc(64);
  for (let i = 0; i < HASHES; i++) block = createHash('sha256').update(block).digest();
  return block;
}

// The parent gone (its end of the pipe closed): stop.
process.stdout.on('error', () => process.exit(0));
setInterval(() => {
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  process.stdout.write(`${Date.now()} ${used.user + used.system}\n`);
}, intervalMs);
