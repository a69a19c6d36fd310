// Owns a preload for benchmarked server processes: SIGUSR2 runs a full GC and says so on stdout,
// so RSS readings taken right after hold live memory rather than garbage not yet collected.
// Loaded with `node --expose-gc --import <this file> <server>`; does nothing without --expose-gc.
const gc = (globalThis as { gc?: () => void }).gc;
if (gc) {
  process.on('SIGUSR2', () => {
    gc();
    process.stdout.write(JSON.stringify({ level: 'info', msg: 'gc done' }) + '\n');
  });
}
export {};
