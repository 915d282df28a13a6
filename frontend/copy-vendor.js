// Copies the browser builds of the npm packages we serve into Django's static folder,
// so that nothing is ever loaded from a CDN.
const fs = require("fs");
const path = require("path");

const out = path.join(__dirname, "..", "auroramart", "static", "vendor");
fs.mkdirSync(out, { recursive: true });
const files = {
  "htmx.min.js": "node_modules/htmx.org/dist/htmx.min.js",
  "chart.umd.min.js": "node_modules/chart.js/dist/chart.umd.min.js",
  "axe.min.js": "node_modules/axe-core/axe.min.js",
};
for (const [name, source] of Object.entries(files)) {
  // Source maps are not shipped, so their references go too (collectstatic would look for them).
  const text = fs.readFileSync(path.join(__dirname, source), "utf8").replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, "\n");
  fs.writeFileSync(path.join(out, name), text);
  console.log(`vendored ${name}`);
}
