// Renders the demo shop's product illustrations: one Tabler icon (MIT licence) per subcategory,
// named in auroramart/demo/icons/icons.json, drawn white on transparent as a 512 px PNG. The
// Python seed (auroramart/catalog/images.py) lays them on each product's colourway; nothing is
// fetched at run time, and the shop needs no SVG renderer of its own.
const fs = require("fs");
const path = require("path");
const { Resvg } = require("@resvg/resvg-js");

const out = path.join(__dirname, "..", "auroramart", "demo", "icons");
const mapping = JSON.parse(fs.readFileSync(path.join(out, "icons.json"), "utf8"));
const names = [...new Set(Object.entries(mapping).filter(([k]) => !k.startsWith("_")).map(([, v]) => v))].sort();
for (const name of names) {
  const source = path.join(__dirname, "node_modules", "@tabler", "icons", "icons", "outline", `${name}.svg`);
  const svg = fs.readFileSync(source, "utf8").replaceAll("currentColor", "#ffffff").replace('stroke-width="2"', 'stroke-width="1.5"');
  const png = new Resvg(svg, { fitTo: { mode: "width", value: 512 }, background: "rgba(0,0,0,0)" }).render().asPng();
  fs.writeFileSync(path.join(out, `${name}.png`), png);
}
console.log(`rendered ${names.length} icons into auroramart/demo/icons/`);
