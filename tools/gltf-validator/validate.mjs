// Runs the Khronos glTF-Validator (the pinned npm package gltf-validator) on one file and
// checks its JSON report: exit 0 when the report counts no errors and no warnings, 1 when it
// does (the issues are printed), 2 when the validator could not run.
//   node validate.mjs FILE.glb [REPORT.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const [file, reportPath] = process.argv.slice(2);
if (!file) {
  console.error('usage: node validate.mjs FILE.glb [REPORT.json]');
  process.exit(2);
}
let validator;
try {
  validator = require('gltf-validator');
} catch (e) {
  console.error(`gltf-validator is not installed: run "npm ci" in ${new URL('.', import.meta.url).pathname}`);
  process.exit(2);
}
let report;
try {
  report = await validator.validateBytes(new Uint8Array(readFileSync(file)), {
    uri: file,
    maxIssues: 0,  // all of them
    writeTimestamp: false,
  });
} catch (e) {
  console.error(`${file}: the validator could not read it: ${e}`);
  process.exit(2);
}
const json = JSON.stringify(report, null, 1);
if (reportPath) writeFileSync(reportPath, json);
// Read the counts back from the JSON text, as any consumer of the report would.
const parsed = JSON.parse(json);
const { numErrors, numWarnings, numInfos, numHints } = parsed.issues;
console.log(`${file}: validator ${parsed.validatorVersion}: ${numErrors} errors, ` +
            `${numWarnings} warnings, ${numInfos} infos, ${numHints} hints`);
for (const m of parsed.issues.messages) {
  const sev = ['error', 'warning', 'info', 'hint'][m.severity] ?? m.severity;
  console.log(`  ${sev} ${m.code} at ${m.pointer ?? m.offset ?? ''}: ${m.message}`);
}
process.exit(numErrors === 0 && numWarnings === 0 ? 0 : 1);
