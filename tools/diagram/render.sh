#!/bin/sh
# Renders a BPMN process to a PNG with bpmn-js in headless Chromium.
#
#   tools/diagram/render.sh [process.bpmn [out.png]]
#
# Defaults: processes/storage-migration.bpmn -> docs/storage-migration.png.
# SCALE=2 renders at twice the pixel density (default 1: one pixel per
# diagram unit). CHROMIUM overrides the browser binary (default: chromium).
# Downloads nothing but the npm packages in package-lock.json (if missing).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BPMN=${1:-$ROOT/processes/storage-migration.bpmn}
OUT=${2:-$ROOT/docs/storage-migration.png}
SCALE=${SCALE:-1}
CHROMIUM=${CHROMIUM:-chromium}

fail() { printf 'render.sh: %s\n' "$*" >&2; exit 1; }

[ -f "$BPMN" ] || fail "no such BPMN file: $BPMN"
command -v node >/dev/null || fail "node not found"
command -v "$CHROMIUM" >/dev/null || fail "$CHROMIUM not found (apt-get install chromium)"

if [ ! -f "$HERE/node_modules/bpmn-js/dist/bpmn-viewer.production.min.js" ]; then
  (cd "$HERE" && npm ci --no-audit --no-fund) || fail "npm ci failed"
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

# The page gets the XML inlined, so Chromium needs no file access beyond
# the scripts under node_modules (found through <base>).
PAGE="$TMP/diagram.html"
node - "$HERE/diagram.html" "$BPMN" "$PAGE" "file://$HERE/" <<'EOF' || fail "could not write the page"
const fs = require('fs');
const [template, bpmn, page, base] = process.argv.slice(2);
// "<" escaped so the XML can never close the <script> element it sits in.
const xml = JSON.stringify(fs.readFileSync(bpmn, 'utf8')).replace(/</g, '\\u003c');
const html = fs.readFileSync(template, 'utf8')
  .replace('@BASE@', () => encodeURI(base))
  .replace('@BPMN_XML_JSON@', () => xml);
fs.writeFileSync(page, html);
EOF

chromium_run() {
  # Offline and stateless: a throw-away profile, no background traffic.
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --hide-scrollbars --user-data-dir="$TMP/profile" \
    --virtual-time-budget=5000 "$@" 2>>"$TMP/chromium.log"
}

# Pass 1: import the diagram and read the size of the drawing.
chromium_run --window-size=1600,1000 --dump-dom "file://$PAGE" >"$TMP/dom.html" \
  || { cat "$TMP/chromium.log" >&2; fail "chromium failed (pass 1)"; }
# The page reports "OK width height warnings=N" and one line per warning,
# or "ERROR message".
RESULT=$(node -e '
  const dom = require("fs").readFileSync(process.argv[1], "utf8");
  const m = /<pre id="result">([^<]*)<\/pre>/.exec(dom);
  console.log(m ? m[1].replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&") : "");
  ' "$TMP/dom.html")
case "$RESULT" in
  OK\ *\ *\ warnings=0) ;;
  OK\ *) fail "bpmn-js could not import everything:
$RESULT" ;;
  *) fail "diagram did not render: ${RESULT:-no result in page}" ;;
esac
set -- $RESULT
WIDTH=$2
HEIGHT=$3

# Pass 2: a window exactly the drawing's size, so there is no cut-off and
# no white margin beyond the page's own.
mkdir -p "$(dirname "$OUT")"
rm -f "$OUT"
chromium_run --window-size="$WIDTH,$HEIGHT" --force-device-scale-factor="$SCALE" \
  --screenshot="$OUT" "file://$PAGE#${WIDTH}x${HEIGHT}" >/dev/null \
  || { cat "$TMP/chromium.log" >&2; fail "chromium failed (pass 2)"; }
[ -s "$OUT" ] || { cat "$TMP/chromium.log" >&2; fail "no screenshot written"; }

# The PNG header must show the size asked for: Chromium silently uses
# another one if it does not honour the window size.
SIZE=$(node -e '
  const [file, w, h, scale] = process.argv.slice(1);
  const b = require("fs").readFileSync(file);
  if (b.toString("latin1", 1, 4) !== "PNG") { console.log("not a PNG"); process.exit(1); }
  const size = b.readUInt32BE(16) + "x" + b.readUInt32BE(20);
  console.log(size);
  if (size !== Math.round(w * scale) + "x" + Math.round(h * scale)) process.exit(1);
  ' "$OUT" "$WIDTH" "$HEIGHT" "$SCALE") \
  || fail "$OUT: unexpected image ($SIZE) for ${WIDTH}x${HEIGHT} at scale $SCALE"
printf '%s\n' "$OUT: ${SIZE} px (diagram ${WIDTH}x${HEIGHT} units, scale $SCALE)"
