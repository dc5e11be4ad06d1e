// Validates Kubernetes objects offline against the OpenAPI schemas that
// kubernetes-models compiles (types, required fields, formats, enums), for
// the core API and the cert-manager and Prometheus operator CRDs.
// Usage: node validate.js FILE.yaml...   (multi-document YAML, as
// `kubectl kustomize` prints it). Prints one line per object and per error;
// exits 1 when an object is invalid or of a kind it has no schema for (so a
// new kind in the manifests cannot go unchecked), 2 on unreadable input.
"use strict";
const fs = require("fs");
const yaml = require("js-yaml");

// apiVersion -> the package path holding its kinds.
function modulePath(apiVersion, kind) {
  const slash = apiVersion.indexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  if (group === "") return `kubernetes-models/${version}/${kind}`;
  if (group === "cert-manager.io" || group === "acme.cert-manager.io")
    return `@kubernetes-models/cert-manager/${group}/${version}/${kind}`;
  if (group === "monitoring.coreos.com")
    return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  return `kubernetes-models/${group}/${version}/${kind}`;
}

// kustomize wraps long base64 values (Secret data, caBundle) at 70 columns.
// The API server decodes them with Go's encoding/base64, which skips \r and
// \n, so they are unwrapped before the schemas' "byte" format sees them.
function unwrapBase64(value) {
  if (typeof value === "string")
    return /\n/.test(value) && /^[A-Za-z0-9+/=\r\n]+$/.test(value) ? value.replace(/[\r\n]/g, "") : value;
  if (Array.isArray(value)) return value.map(unwrapBase64);
  if (value && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = unwrapBase64(v);
    return out;
  }
  return value;
}

function validateObject(obj) {
  if (!obj || typeof obj !== "object" || !obj.apiVersion || !obj.kind)
    return ["not a Kubernetes object (no apiVersion or kind)"];
  let Model;
  try {
    Model = require(modulePath(obj.apiVersion, obj.kind))[obj.kind];
  } catch (e) {
    Model = undefined;
  }
  if (typeof Model !== "function") return [`no schema for ${obj.apiVersion} ${obj.kind}`];
  try {
    new Model(unwrapBase64(obj)).validate();
    return [];
  } catch (e) {
    return String(e.message).split(/,\s*(?=data)/);
  }
}

let failed = 0;
let checked = 0;
for (const file of process.argv.slice(2)) {
  let docs;
  try {
    docs = yaml.loadAll(fs.readFileSync(file, "utf8"));
  } catch (e) {
    console.error(`${file}: ${e.message}`);
    process.exit(2);
  }
  for (const obj of docs) {
    if (obj === null || obj === undefined) continue;
    const name = `${obj.kind || "?"}/${(obj.metadata && obj.metadata.name) || "?"}`;
    const errors = validateObject(obj);
    checked++;
    if (errors.length) {
      failed++;
      for (const err of errors) console.log(`${file}: ${name}: ${err}`);
    } else {
      console.log(`${file}: ${name}: valid`);
    }
  }
}
console.log(`${checked} objects checked, ${failed} invalid`);
process.exit(failed ? 1 : 0);
