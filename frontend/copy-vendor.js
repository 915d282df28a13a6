// Copies the browser builds of the npm packages we serve into Django's static folder,
// so that nothing is ever loaded from a CDN.
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..");
// Served to shoppers: into Django's static files. Used only by the tests (axe-core, 650 KB):
// beside the browser tests, never in production static files.
const files = {
  "auroramart/static/vendor/htmx.min.js": "node_modules/htmx.org/dist/htmx.min.js",
  "auroramart/static/vendor/chart.umd.min.js": "node_modules/chart.js/dist/chart.umd.min.js",
  "tests/browser/assets/axe.min.js": "node_modules/axe-core/axe.min.js",
};
for (const [target, source] of Object.entries(files)) {
  // Source maps are not shipped, so their references go too (collectstatic would look for them).
  const text = fs.readFileSync(path.join(__dirname, source), "utf8").replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, "\n");
  fs.mkdirSync(path.dirname(path.join(root, target)), { recursive: true });
  fs.writeFileSync(path.join(root, target), text);
  console.log(`vendored ${target}`);
}
