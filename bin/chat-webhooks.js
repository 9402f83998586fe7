#!/usr/bin/env node
// Runs the compiled CLI when it exists (production images), and the TypeScript sources through tsx otherwise.
const fs = require('node:fs');
const path = require('node:path');
const compiled = path.join(__dirname, '..', 'dist', 'src', 'cli.js');
if (fs.existsSync(compiled)) {
  require(compiled).main(process.argv.slice(2));
} else {
  require('tsx/cjs');
  require('../src/cli.ts').main(process.argv.slice(2));
}
