/**
 * The bench's diagnostics: tools for finding where the time goes, not for the headline
 * numbers (each changes a little what it measures). The bench reaches them through this file
 * only, by these options:
 *
 *   --profile          the services under a preloaded V8 CPU profiler; the report adds their
 *                      CPU by package, by the nearest library on the stack and by function
 *   --soak <minutes>   steady trx load with retention set short; every minute throughput, p99
 *                      and the rows of every protocol table (which must stay flat)
 *
 * What they found is in docs/benchmark.md. (`--modes coordinator`, the transaction-server
 * alone, is a mode of the bench itself: scripts/bench/coordinator-mode.ts.)
 */
export { CpuProfiler, renderProfile, type ProfileSummary } from './cpu-profile';
export { runSoak } from './soak';
