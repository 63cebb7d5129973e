#!/usr/bin/env node
// Validates Camunda 7 element templates against the official JSON schema
// (@camunda/element-templates-json-schema) with ajv, plus what the schema cannot say:
// each template id appears once, and $schema points at that schema.
// Usage: node validate-templates.js <folder with *.json templates>
'use strict';

const fs = require('fs');
const path = require('path');
const Ajv = require('ajv');
const schema = require('@camunda/element-templates-json-schema/resources/schema.json');

const SCHEMA_URL = 'https://unpkg.com/@camunda/element-templates-json-schema/resources/schema.json';

const folder = process.argv[2];
if (!folder) {
  console.error('usage: node validate-templates.js <folder>');
  process.exit(2);
}

// strict: false because the schema carries keywords for other tools (errorMessage, examples in allOf)
const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(schema);

const files = fs.readdirSync(folder).filter(f => f.endsWith('.json')).sort();
if (files.length === 0) {
  console.error(`${folder}: no element templates (*.json) found`);
  process.exit(1);
}

const seenIds = new Map();
let problems = 0;

function report(file, message) {
  console.error(`${file}: ${message}`);
  problems++;
}

for (const file of files) {
  const shown = path.join(folder, file);
  let json;
  try {
    json = JSON.parse(fs.readFileSync(path.join(folder, file), 'utf8'));
  } catch (e) {
    report(shown, `not JSON: ${e.message}`);
    continue;
  }
  if (!validate(json)) {
    for (const error of validate.errors) {
      report(shown, `${error.instancePath || '/'} ${error.message}`);
    }
    continue;
  }
  for (const template of Array.isArray(json) ? json : [ json ]) {
    if (template.$schema !== SCHEMA_URL) {
      report(shown, `template ${template.id}: $schema must be ${SCHEMA_URL}`);
    }
    const key = `${template.id}@${template.version ?? ''}`;
    if (seenIds.has(key)) {
      report(shown, `template id ${template.id} (version ${template.version}) also defined in ${seenIds.get(key)}`);
    }
    seenIds.set(key, shown);
  }
}

if (problems > 0) {
  console.error(`element templates: ${problems} problem(s) in ${files.length} file(s)`);
  process.exit(1);
}
console.log(`element templates: ${files.length} file(s) valid`);
