#!/usr/bin/env bash
# Every repository path a comment or a document names must exist (docs/ARCHITECTURE.md is the design
# the comments cite). Checks comment lines of the sources and scripts, and the Markdown files.
set -euo pipefail
cd "$(dirname "$0")/.."

path_pattern='((components|test|tools|docs|images|stacks|policy)/[A-Za-z0-9_./-]*[A-Za-z0-9_]|\b[A-Za-z_-]+\.md\b)'
missing=0
while IFS=: read -r file line text; do
  while read -r path; do
    # Skip patterns (<part>, *, {a,b}) and extensionless module specifiers; a bare *.md may sit in docs/.
    [[ -e "$path" || -e "docs/$path" || -e "$(dirname "$file")/$path" || "$text" =~ ${path}[\<\*\{] ]] && continue
    [[ "$path" =~ \.(js|ts|sh|awk|py|md|yaml|yml|json|toml|txt|xml)$ ]] || continue
    echo "$file:$line: names $path, which is not in the repository" >&2
    missing=1
  done < <(grep -oE "$path_pattern" <<<"$text" || true)
done < <(
  git ls-files -z -- '*.ts' '*.mts' '*.sh' '*.awk' '*.py' '.ci/run' '*.md' '*Dockerfile' ':!:test/render/__snapshots__' |
    xargs -0 grep -nHE "$path_pattern" |
    grep -E '^[^:]+\.md:|^[^:]+:[0-9]+:[[:space:]]*(//|\*|/\*|#)'
)
[[ $missing -eq 0 ]] && echo "lint-paths: every path named in comments and documents exists"
exit $missing
