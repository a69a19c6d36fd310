// Owns a no-op stand-in for the `debug` package that simple-peer logs through: the bundle ships no debug logging.
const noop = () => {};
export default function debug() {
  const log = noop;
  log.enabled = false;
  log.extend = debug;
  return log;
}
