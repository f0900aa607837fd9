// Evaluated once per thread, before the realm is frozen. Returns `bind(body, names)`, which turns
// a compiled expression body (a function of `__scope`) into the function one evaluation calls
// with its data (variables, input, outputs, ids, time). It also makes the realm's clock and
// random source the engine's: `Date`, `performance` and `Math.random` (below).
//
// Per evaluation only the scope's own object is created. The scope's prototype chain is shared
// and frozen: the accessors of the names this expression mentions (`getCounter`, ...), Elsa's
// globals (elsa-api.md §5.6), then a catch-all proxy. All of them read the evaluation's data
// from closure variables the bound function swaps in. Scripts cannot keep a function of one
// evaluation for the next (the realm is frozen and no job queue runs), so every call to a global
// happens while that data is its own evaluation's.
(function () {
  'use strict';
  const pascal = (name) => name.charAt(0).toUpperCase() + name.slice(1);
  const hex = (n, width) => n.toString(16).padStart(width, '0');

  // UTF-8 through percent-encoding: QuickJS has no TextEncoder.
  const utf8Encode = (text) =>
    Array.from(unescape(encodeURIComponent(String(text))), (c) => c.charCodeAt(0));
  const utf8Decode = (bytes) =>
    decodeURIComponent(escape(String.fromCharCode.apply(null, Array.from(bytes))));
  const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const toBase64 = (bytes) => {
    let out = '';
    for (let i = 0; i < bytes.length; i += 3) {
      const n = (bytes[i] << 16) | ((bytes[i + 1] || 0) << 8) | (bytes[i + 2] || 0);
      out += BASE64[(n >> 18) & 63] + BASE64[(n >> 12) & 63];
      out += i + 1 < bytes.length ? BASE64[(n >> 6) & 63] : '=';
      out += i + 2 < bytes.length ? BASE64[n & 63] : '=';
    }
    return out;
  };
  const fromBase64 = (text) => {
    const clean = String(text).replace(/[\s=]/g, '').replace(/-/g, '+').replace(/_/g, '/');
    const bytes = [];
    let buffer = 0, bits = 0;
    for (const c of clean) {
      const v = BASE64.indexOf(c);
      if (v < 0) throw new Error("The input is not a valid Base-64 string.");
      buffer = (buffer << 6) | v;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        bytes.push((buffer >> bits) & 255);
      }
    }
    return bytes;
  };
  const GUID = /^[{(]?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})[)}]?$/i;
  const parseGuid = (text) => {
    const m = GUID.exec(String(text).trim());
    if (!m) throw new Error("Unrecognized Guid format: '" + text + "'.");
    return m.slice(1).join('-').toLowerCase();
  };
  // ShortGuid: the 16 bytes of the GUID in Base64url, without padding (22 characters).
  const shortGuid = (guid) => {
    const digits = guid.replace(/-/g, '');
    const bytes = [];
    for (let i = 0; i < 32; i += 2) bytes.push(parseInt(digits.substr(i, 2), 16));
    return toBase64(bytes).slice(0, 22).replace(/\+/g, '-').replace(/\//g, '_');
  };

  // The data of the evaluation under way (closure variables: cheaper to swap than an object's
  // properties), the GUIDs it made so far and the state of its random numbers.
  let variables = null, input = null, outputs = null, lastResult = null, instanceId = null;
  let correlationId = null, instanceName = null, definitionId = null, definitionVersionId = null;
  let definitionVersion = null, seed = null, guids = 0, now = 0, seeded = false;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  // The id the engine drew for this evaluation as 16 hex digits. It draws one only for texts
  // that name `Guid` or `random`, so that other scripts leave the run's ids as they were.
  const seedDigits = () => {
    if (seed === null) {
      throw new Error("No id was drawn for this script: only scripts whose text names 'Guid' or 'random' get one.");
    }
    return seed.padStart(16, '0').slice(-16);
  };
  // GUIDs come from the engine's id generator (one seed per evaluation) plus a counter, so a
  // run with deterministic ids makes deterministic GUIDs.
  const newGuid = () => {
    const digits = seedDigits(), count = hex(guids++, 16);
    return `${digits.slice(0, 8)}-${digits.slice(8, 12)}-${digits.slice(12, 16)}-${count.slice(0, 4)}-${count.slice(4)}`;
  };
  const newShortGuid = () => shortGuid(newGuid());
  const output = (activity, name) => {
    const values = outputs[activity];
    if (values === undefined) return undefined;
    if (name !== undefined) return values[name];
    return 'Result' in values ? values.Result : values[Object.keys(values)[0]];
  };

  // `Math.random()`: xoshiro128** (32-bit words, no BigInt per call), seeded on the first call
  // of an evaluation with two splitmix64 outputs from the 64 bits of the evaluation's seed.
  const seedRandom = () => {
    const mask = (1n << 64n) - 1n;
    let x = 0n;
    // Ids are hex digits; any other character counts by its low four bits.
    for (const c of seedDigits()) {
      const digit = parseInt(c, 16);
      x = (x << 4n) | BigInt(Number.isNaN(digit) ? c.charCodeAt(0) & 15 : digit);
    }
    const splitmix64 = () => {
      x = (x + 0x9e3779b97f4a7c15n) & mask;
      let z = x;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
      return z ^ (z >> 31n);
    };
    const [a, b] = [splitmix64(), splitmix64()];
    // Two consecutive splitmix64 outputs are never both zero, so neither is the state.
    s0 = Number(a & 0xffffffffn) | 0;
    s1 = Number(a >> 32n) | 0;
    s2 = Number(b & 0xffffffffn) | 0;
    s3 = Number(b >> 32n) | 0;
    seeded = true;
  };
  const rotl = (word, k) => (word << k) | (word >>> (32 - k));
  const next32 = () => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0, t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
  // 53 random bits, as a double in [0, 1).
  const random = () => {
    if (!seeded) seedRandom();
    return ((next32() >>> 5) * 67108864 + (next32() >>> 6)) / 9007199254740992;
  };
  Object.defineProperty(Math, 'random', { value: random });

  // `Date.now()`, `new Date()` and `Date()` give the evaluation's time (the engine's clock);
  // with arguments `new Date(...)` is the standard one, and so is everything else about dates.
  // The original constructor stays reachable only here: `Date.prototype.constructor` is ours.
  const StandardDate = Object.freeze(Date);
  const ElsaDate = function Date(...values) {
    if (new.target === undefined) return new StandardDate(now).toString();
    return Reflect.construct(StandardDate, values.length === 0 ? [now] : values, new.target);
  };
  const dateStatics = { now() { return now; }, parse: StandardDate.parse, UTC: StandardDate.UTC };
  Object.defineProperty(ElsaDate, 'length', { value: StandardDate.length });
  Object.defineProperty(ElsaDate, 'prototype', { value: StandardDate.prototype });
  for (const [name, value] of Object.entries(dateStatics)) {
    Object.defineProperty(ElsaDate, name, { value, writable: true, configurable: true });
  }
  Object.defineProperty(StandardDate.prototype, 'constructor', { value: ElsaDate });
  Object.defineProperty(globalThis, 'Date', { value: ElsaDate });
  // QuickJS's `performance` reads the real clocks; its `now()` is the evaluation's time too.
  Object.defineProperty(globalThis, 'performance', {
    value: Object.freeze({ timeOrigin: 0, now: dateStatics.now }),
  });

  // Names the realm does not define resolve here, last: an assignment `x = 1` then creates a
  // binding on the evaluation's own scope object (the receiver), and reading a name defined
  // nowhere is a ReferenceError, as in Jint. The target is frozen so scripts that reach this
  // proxy through the prototype chain cannot store anything in it.
  const catchAll = new Proxy(Object.freeze(Object.create(null)), Object.freeze({
    has: (target, key) => typeof key === 'string' && !(key in globalThis),
    get: (target, key) => {
      if (typeof key !== 'string') return undefined;
      throw new ReferenceError(key + ' is not defined');
    },
  }));

  const globals = Object.create(catchAll, Object.getOwnPropertyDescriptors({
    isNullOrEmpty: (value) => value === null || value === undefined || String(value) === '',
    isNullOrWhiteSpace: (value) =>
      value === null || value === undefined || String(value).trim() === '',
    toJson: (value) => JSON.stringify(value),
    parseGuid,
    bytesFromString: (text) => utf8Encode(text),
    bytesToString: (bytes) => utf8Decode(bytes),
    bytesToBase64: (bytes) => toBase64(Array.from(bytes)),
    bytesFromBase64: (text) => fromBase64(text),
    stringToBase64: (text) => toBase64(utf8Encode(text)),
    stringFromBase64: (text) => utf8Decode(fromBase64(text)),
    get variables() { return variables; },
    getVariable: (name) => variables[name],
    setVariable: (name, value) => { variables[name] = value; },
    getInput: (name) => input[name],
    getWorkflowInstanceId: () => instanceId,
    getCorrelationId: () => correlationId,
    setCorrelationId: (value) => { correlationId = value == null ? null : String(value); },
    getWorkflowInstanceName: () => instanceName,
    setWorkflowInstanceName: (value) => { instanceName = value == null ? null : String(value); },
    getWorkflowDefinitionId: () => definitionId,
    getWorkflowDefinitionVersionId: () => definitionVersionId,
    getWorkflowDefinitionVersion: () => definitionVersion,
    getOutputFrom: output,
    getLastResult: () => lastResult,
    // Loop activities declare their current item and index as these variables.
    getCurrentValue: () => variables.CurrentValue,
    getCurrentIndex: () => variables.CurrentIndex,
    newGuid,
    newGuidString: newGuid,
    getGuidString: newGuid,
    newShortGuid,
    getShortGuid: newShortGuid,
  }));
  Object.values(Object.getOwnPropertyDescriptors(globals)).forEach((property) =>
    Object.freeze(property.value || property.get));
  // `with` asks every name it finds for `Symbol.unscopables`: answer here, before the catch-all
  // proxy, whose trap would run a function for each lookup.
  Object.defineProperty(globals, Symbol.unscopables, { value: undefined });
  Object.freeze(globals);

  // The names `get<Suffix>` can stand for: `<Suffix>` itself when capitalised, and its form with
  // a lower-case initial (`getOrderId` reads `OrderId` or `orderId`).
  const candidates = (suffix) => {
    const lower = suffix.charAt(0).toLowerCase() + suffix.slice(1);
    const names = pascal(suffix) === suffix && suffix !== '' ? [suffix] : [];
    if (lower !== suffix && pascal(lower) === suffix) names.push(lower);
    return names;
  };
  const keyOf = (values, names) => names.find((name) => Object.hasOwn(values, name));

  // The accessor `get<Suffix>` / `set<Suffix>`, looked up when called: the variable named by
  // `<Suffix>`, else (getters) the activity output (`get<Output>From<Activity>`), else the
  // input, else Elsa's global of that name, if any.
  const accessor = (key) => {
    const getter = key.startsWith('get'), suffix = key.slice(3), names = candidates(suffix);
    const fallback = Object.hasOwn(globals, key) ? globals[key] : undefined;
    // Elsa's globals take at most two arguments; named parameters rather than `arguments`,
    // which QuickJS would allocate on every call.
    const missing = (a, b) => {
      if (fallback === undefined) throw new ReferenceError(key + ' is not defined');
      return fallback(a, b);
    };
    const notVariable = !getter ? missing : (a, b) => {
      for (const activity of Object.keys(outputs)) {
        const tail = 'From' + activity;
        if (!suffix.endsWith(tail)) continue;
        const values = outputs[activity];
        const name = keyOf(values, candidates(suffix.slice(0, -tail.length)));
        if (name !== undefined) return values[name];
      }
      const name = keyOf(input, names);
      return name !== undefined ? input[name] : missing(a, b);
    };
    if (names.length === 0) {
      return (a, b) => notVariable(a, b);
    }
    // The common case, a variable, is checked inline with `in`, which needs no call and is
    // exact unless `Object.prototype` has the name too.
    const first = names[0], second = names[names.length - 1];
    if (names.some((name) => name in Object.prototype)) {
      return getter
        ? (a, b) => {
          const name = keyOf(variables, names);
          return name !== undefined ? variables[name] : notVariable(a, b);
        }
        : (a, b) => {
          const name = keyOf(variables, names);
          if (name === undefined) return missing(a, b);
          variables[name] = a;
        };
    }
    return getter
      ? (a, b) => first in variables ? variables[first]
        : second in variables ? variables[second] : notVariable(a, b)
      : (a, b) => {
        const name = first in variables ? first : second in variables ? second : undefined;
        if (name === undefined) return missing(a, b);
        variables[name] = a;
      };
  };

  return Object.freeze(function bind(body, names) {
    const accessors = {};
    for (const name of names) accessors[name] = Object.freeze(accessor(name));
    const layer = Object.freeze(Object.create(globals, Object.getOwnPropertyDescriptors(accessors)));
    // Returns the script's value, then the correlation id and instance name afterwards.
    return Object.freeze(function evaluate(
      theVariables, theInput, theOutputs, theLastResult, theInstanceId, theCorrelationId,
      theInstanceName, theDefinitionId, theDefinitionVersionId, theDefinitionVersion, theSeed,
      theNow) {
      variables = theVariables;
      input = theInput;
      outputs = theOutputs;
      lastResult = theLastResult;
      instanceId = theInstanceId;
      correlationId = theCorrelationId;
      instanceName = theInstanceName;
      definitionId = theDefinitionId;
      definitionVersionId = theDefinitionVersionId;
      definitionVersion = theDefinitionVersion;
      seed = theSeed;
      guids = 0;
      seeded = false;
      now = theNow;
      try {
        return [body({ __proto__: layer }), correlationId, instanceName];
      } finally {
        variables = input = outputs = lastResult = null;
      }
    });
  });
})()
