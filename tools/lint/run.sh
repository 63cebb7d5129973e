#!/bin/sh
# Lints processes/*.bpmn with bpmnlint (.bpmnlintrc here) and validates the element templates in
# .camunda/element-templates/ against their JSON schema. Exits non-zero on any error.
# Installs the pinned tools (package-lock.json) into tools/lint/node_modules on first use.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"

# (re)install when missing or when package-lock.json changed since the last install
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi

status=0
echo "bpmnlint: $root/processes/*.bpmn"
npx --no-install bpmnlint --config "$here/.bpmnlintrc" "$root"/processes/*.bpmn || status=1
node "$here/validate-templates.js" "$root/.camunda/element-templates" || status=1
exit $status
