// Minimal stand-in for the `retry` package's operation(): attempt(fn), retry(err), stop().
exports.operation = function (options) {
  const o = Object.assign({ retries: 10, factor: 2, minTimeout: 1000, maxTimeout: Infinity }, options || {});
  let attempts = 0, fn = null, timer = null, stopped = false;
  return {
    attempt(f) { fn = f; attempts = 1; f(attempts); },
    retry(err) {
      if (!err || stopped) return false;
      if (attempts > o.retries) return false;
      const timeout = Math.min(o.minTimeout * Math.pow(o.factor, attempts - 1), o.maxTimeout);
      attempts += 1;
      timer = setTimeout(() => fn(attempts), timeout);
      return true;
    },
    stop() { stopped = true; clearTimeout(timer); }
  };
};
