#!/usr/bin/env node
// In a checkout (src/ present) the TypeScript sources run through tsx, so the command never runs a stale build;
// in the production image, which carries only dist/, the compiled CLI runs.
const fs = require('node:fs');
const path = require('node:path');
const root = path.join(__dirname, '..');
if (fs.existsSync(path.join(root, 'src', 'cli', 'index.ts'))) {
  require('tsx/cjs');
  require('../src/cli/index.ts').main(process.argv.slice(2));
} else {
  require(path.join(root, 'dist', 'src', 'cli', 'index.js')).main(process.argv.slice(2));
}
