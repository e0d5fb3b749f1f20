#!/usr/bin/env bash
# Install the pinned front-end packages (web/package-lock.json) and copy only the files the
# pages load into web/static/vendor/ (gitignored). Run from anywhere: bash web/vendor.sh
# The devDependency axe-core stays in web/node_modules: only tests/web/test_accessibility.py
# loads it, into the pages it checks; the site never serves it.
set -euo pipefail

web="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
npm ci --prefix "$web" --no-audit --no-fund --ignore-scripts

src="$web/node_modules/@zazuko/yasgui/build"
dest="$web/static/vendor/yasgui"
rm -rf "$dest"
mkdir -p "$dest"
for file in yasgui.min.js yasgui.min.css; do
    test -s "$src/$file" || { echo "vendor.sh: $src/$file is missing" >&2; exit 1; }
    cp "$src/$file" "$dest/$file"
done
# YASGUI's table plugin (column-resizer) injects one fixed <style> element; a CSP without
# 'unsafe-inline' must allow it by hash or the results table is laid out wrongly
hash="$(node -e '
const js = require("fs").readFileSync(process.argv[1], "utf8");
const m = js.match(/createStyle\([\w$]+,`( \.grip-resizable\{[^`$]*)`\)/);
if (!m) process.exit(1);
const css = new Function("return `" + m[1] + "`")();
const digest = require("crypto").createHash("sha256").update(css, "utf8").digest("base64");
console.log("sha256-" + digest);
' "$dest/yasgui.min.js")" || hash=""
echo "vendored @zazuko/yasgui $(node -p "require('$web/node_modules/@zazuko/yasgui/package.json').version") into $dest"
if [ -n "$hash" ]; then
    echo "CSP for the editor page: default-src 'self'; style-src 'self' '$hash'"
else
    echo "vendor.sh: warning: the column-resizer <style> was not found; check the CSP by hand" >&2
fi
