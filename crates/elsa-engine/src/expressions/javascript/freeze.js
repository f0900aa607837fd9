// Freezes the realm: the global object and everything reachable from it (constructors,
// prototypes, Math, JSON, ...). Scripts can then neither add globals nor patch built-ins, so
// one workflow's script cannot change what the next one sees.
(function () {
  const seen = new Set();
  const freeze = (value) => {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return;
    if (seen.has(value)) return;
    seen.add(value);
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) {
      const property = Object.getOwnPropertyDescriptor(value, key);
      if (property) {
        freeze(property.value);
        freeze(property.get);
        freeze(property.set);
      }
    }
    freeze(Object.getPrototypeOf(value));
  };
  freeze(globalThis);
})();
