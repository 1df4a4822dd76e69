#!/usr/bin/env bash
# npm run lint:scripts: lints the programs kept as files, each with its language's tools. The
# scripts as rendered, values included, are also run and shellchecked by their tests.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
problem() {
	printf '%s\n' "$@" >&2
	status=1
}

mapfile -t shell_scripts < <(find components tools test -name '*.sh' -not -path '*/__snapshots__/*' | sort; echo .ci/run)
mapfile -t awk_programs < <(find components -name '*.awk' | sort)
mapfile -t python_programs < <(find components images -name '*.py' | sort)

# A script without a shebang is a part that a render-*.ts puts into a POSIX sh script.
for script in "${shell_scripts[@]}"; do
	if [[ $(head -c 2 "$script") == '#!' ]]; then
		shellcheck --severity=style "$script" || status=1
	else
		shellcheck --severity=style --shell=sh "$script" || status=1
	fi
done

# Nodes run these with mawk, gawk or busybox awk: gawk --posix refuses gawk's extensions, its lint
# names suspicious code, and mawk parses them too. Portable awk declares a function's locals as
# extra parameters, which shadow globals of the same name on purpose: that warning is left out.
for program in "${awk_programs[@]}"; do
	if ! output=$(gawk --posix --lint --pretty-print=/dev/null -f "$program" 2>&1); then
		problem "$output"
		continue
	fi
	warnings=$(grep -v -e 'shadows global variable' <<<"$output" || true)
	if [[ -n $warnings ]]; then problem "$warnings"; fi
	mawk -W dump -f "$program" >/dev/null || status=1
done

if ! command -v pyflakes3 >/dev/null; then
	problem "lint-scripts: pyflakes3 is missing (Debian: apt-get install pyflakes3)"
	exit 1
fi
pyflakes3 "${python_programs[@]}" || status=1

if ((status == 0)); then
	echo "lint-scripts: ${#shell_scripts[@]} sh, ${#awk_programs[@]} awk and ${#python_programs[@]} Python files clean"
fi
exit "$status"
