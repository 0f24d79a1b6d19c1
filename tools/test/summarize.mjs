// Reads the results of every tier (jest --json files, pytest junit XML, step exit codes) and
// prints one line: "N passed, N failed[, N skipped]". Exits non-zero when anything failed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'test-results';
let passed = 0;
let failed = 0;
let skipped = 0;
const lines = [];

for (const file of existsSync(dir) ? readdirSync(dir).sort() : []) {
  const path = join(dir, file);
  if (file.endsWith('.json')) {
    const r = JSON.parse(readFileSync(path, 'utf8'));
    // Suites that failed to run (syntax errors, setup failures) have no tests: count each as a failure.
    const brokenSuites = (r.testResults ?? []).filter((s) => s.status === 'failed' && s.assertionResults.length === 0).length;
    passed += r.numPassedTests;
    failed += r.numFailedTests + brokenSuites;
    skipped += r.numPendingTests + r.numTodoTests;
    lines.push(`${file}: ${r.numPassedTests} passed, ${r.numFailedTests + brokenSuites} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  } else if (file.endsWith('.xml')) {
    const xml = readFileSync(path, 'utf8');
    const suite = xml.match(/<testsuite\b[^>]*>/)?.[0] ?? '';
    const attr = (name) => Number(suite.match(new RegExp(`\\b${name}="(\\d+)"`))?.[1] ?? 0);
    const total = attr('tests');
    const bad = attr('failures') + attr('errors');
    const skip = attr('skipped');
    passed += total - bad - skip;
    failed += bad;
    skipped += skip;
    lines.push(`${file}: ${total - bad - skip} passed, ${bad} failed, ${skip} skipped`);
  }
}

const stepsFile = join(dir, 'steps.tsv');
if (existsSync(stepsFile)) {
  for (const row of readFileSync(stepsFile, 'utf8').trim().split('\n').filter(Boolean)) {
    const [name, rc, seconds] = row.split('\t');
    lines.push(`step ${name}: exit ${rc} (${seconds}s)`);
    // Test tiers report their failures through their result files; other steps count once.
    const hasResults = existsSync(join(dir, `${name}.json`)) || existsSync(join(dir, `${name}.xml`));
    if (rc !== '0' && !hasResults) failed += 1;
  }
}

console.log('--- summary');
for (const line of lines) console.log(line);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
