// Evaluated once per thread, before the realm is frozen. Returns the function that builds the
// `__scope` of one evaluation from its JSON data. Everything a script can reach is either
// created per evaluation (scope, data) or frozen (helpers, intrinsics), so nothing a script
// assigns survives into the next evaluation.
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

  const helpers = Object.freeze({
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
  });
  Object.values(helpers).forEach(Object.freeze);

  return Object.freeze(function (data) {
    const vars = data.variables, input = data.input, outputs = data.outputs;
    // GUIDs come from the engine's id generator (one seed per evaluation) plus a counter, so a
    // run with deterministic ids makes deterministic GUIDs.
    let guids = 0;
    const newGuid = () => {
      if (data.guidSeed === null) throw new Error('No id generator is available.');
      const seed = data.guidSeed.padStart(16, '0').slice(-16), count = hex(guids++, 16);
      return `${seed.slice(0, 8)}-${seed.slice(8, 12)}-${seed.slice(12, 16)}-${count.slice(0, 4)}-${count.slice(4)}`;
    };
    const newShortGuid = () => shortGuid(newGuid());
    const output = (activity, name) => {
      const values = outputs[activity];
      if (values === undefined) return undefined;
      if (name !== undefined) return values[name];
      return 'Result' in values ? values.Result : values[Object.keys(values)[0]];
    };
    // The helpers are inherited from a frozen prototype rather than copied: cheaper per call.
    const scope = Object.assign(Object.create(helpers), {
      variables: vars,
      getVariable: (name) => vars[name],
      setVariable: (name, value) => { vars[name] = value; },
      getInput: (name) => input[name],
      getWorkflowInstanceId: () => data.instanceId,
      getCorrelationId: () => data.correlationId,
      setCorrelationId: (value) => { data.correlationId = value == null ? null : String(value); },
      getWorkflowInstanceName: () => data.instanceName,
      setWorkflowInstanceName: (value) => { data.instanceName = value == null ? null : String(value); },
      getWorkflowDefinitionId: () => data.definitionId,
      getWorkflowDefinitionVersionId: () => data.definitionVersionId,
      getWorkflowDefinitionVersion: () => data.definitionVersion,
      getOutputFrom: output,
      getLastResult: () => data.lastResult,
      // Loop activities declare their current item and index as these variables.
      getCurrentValue: () => vars.CurrentValue,
      getCurrentIndex: () => vars.CurrentIndex,
      newGuid,
      newGuidString: newGuid,
      getGuidString: newGuid,
      newShortGuid,
      getShortGuid: newShortGuid,
    });
    for (const name of Object.keys(input)) {
      scope['get' + pascal(name)] = () => input[name];
    }
    for (const activity of Object.keys(outputs)) {
      for (const name of Object.keys(outputs[activity])) {
        scope['get' + pascal(name) + 'From' + activity] = () => outputs[activity][name];
      }
    }
    for (const name of Object.keys(vars)) {
      scope['get' + pascal(name)] = () => vars[name];
      scope['set' + pascal(name)] = (value) => { vars[name] = value; };
    }
    // The script's free names resolve here first: names the realm does not define are caught
    // by the scope, so `x = 1` creates a binding of this evaluation only, and reading a name
    // defined nowhere is a ReferenceError, as in Jint.
    return new Proxy(scope, {
      has: (target, key) => key in target || (typeof key === 'string' && !(key in globalThis)),
      get: (target, key) => {
        if (key in target) return target[key];
        if (typeof key !== 'string') return undefined;
        if (key in globalThis) return globalThis[key];
        throw new ReferenceError(key + ' is not defined');
      },
    });
  });
})()
