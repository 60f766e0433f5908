// Runs every project's tests in one Jest run (used by `npm test` and `.ci/run`).
const fs = require('node:fs');
const path = require('node:path');

const projects = [];
for (const group of ['apps', 'libs', 'tools']) {
  const dir = path.join(__dirname, group);
  if (!fs.existsSync(dir)) continue;
  for (const name of fs.readdirSync(dir).sort()) {
    if (fs.existsSync(path.join(dir, name, 'jest.config.cjs'))) projects.push(`<rootDir>/${group}/${name}`);
  }
}
module.exports = { projects };
