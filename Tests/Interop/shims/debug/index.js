// Minimal stand-in for the `debug` package: log functions that print when PROTOO_DEBUG is set.
module.exports = function debug(name) {
  const fn = (...args) => { if (process.env.PROTOO_DEBUG) fn.log(name, ...args); };
  fn.log = console.log;
  fn.enabled = !!process.env.PROTOO_DEBUG;
  return fn;
};
