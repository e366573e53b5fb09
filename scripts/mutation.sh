#!/usr/bin/env bash
# Mutation testing of the error-path modules (docs/testing.md): mutmut changes one thing
# in a module at a time and runs the fast tests that cover it; a mutant the tests do not
# notice is a gap in them. Slow (minutes per module), so not part of CI.
#   scripts/mutation.sh [MODULE...]   MODULE as listed below, default all of them
# Runs on a copy of the work tree (tracked and untracked files, uncommitted edits
# included) so a mutant can never be left in the sources; results go to build/mutation/.
# Exit 0 when every module reaches the goal, 1 when one falls short, 2 on a usage error.
set -euo pipefail

GOAL=${MUTATION_GOAL:-85}  # per cent of mutants killed, per module
REPO=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-$REPO/.venv}
OUT=$REPO/build/mutation

# Each module with the fast tests that exercise it (never the docker, cluster or slow ones,
# except for runtime/docker.py, which only a real engine can run), the most telling first:
# pytest stops at the first failure, so a killed mutant costs only the tests before it.
# Wall-clock limits are left out: under `nice` a starved run would fail them unmutated.
declare -A TESTS=(
  [safety]="tests/test_safety_rules.py tests/test_kubernetes_names.py tests/test_secret_diagnostics.py tests/wrapper/test_collect.py tests/test_output_safety.py tests/test_bad_graphs.py -k 'not linear_time'"
  [wrapper/context]="tests/wrapper/test_context_plan_rules.py tests/wrapper/test_label_quoting.py tests/wrapper/test_context.py tests/test_context_check.py tests/wrapper/test_collect.py tests/wrapper/test_images.py tests/test_bad_graphs.py"
  [deploy/preflight]="tests/deploy/test_preflight_rules.py tests/deploy/test_preflight_secrets.py tests/deploy/test_flow.py -k 'preflight or operator_missing or forbidden or unauthorized or secret'"
  [deploy/wait]="tests/deploy/test_wait_reports.py tests/deploy/test_flow.py"
  [runtime/process]="tests/runtime/test_process.py tests/runtime/test_supervision.py"
  [runtime/docker]="tests/runtime/test_docker.py"
  [runtime/http1]="tests/runtime/test_http1.py tests/runtime/test_supervision.py"
  [runtime/server]="tests/runtime/test_server.py tests/runtime/test_server_limits.py tests/runtime/test_inprocess.py"
)
ORDER=(safety wrapper/context deploy/preflight deploy/wait runtime/http1 runtime/server
  runtime/process runtime/docker)

usage() {
  printf 'usage: scripts/mutation.sh [MODULE...]\n  modules: %s\n' "${ORDER[*]}" >&2
  exit 2
}

modules=("$@")
[[ ${#modules[@]} -gt 0 ]] || modules=("${ORDER[@]}")
for m in "${modules[@]}"; do
  [[ -n ${TESTS[$m]+x} ]] || { printf 'mutation: unknown module %s\n' "$m" >&2; usage; }
done
[[ -x $VENV/bin/mutmut ]] || {
  printf 'mutation: %s/bin/mutmut is missing: run `make install`\n' "$VENV" >&2
  exit 2
}

# The copy sits beside a link to ../shared, where the tests find Seldon's CRD and examples.
work=$(mktemp -d "${TMPDIR:-/tmp}/seldon-graphs-mutation.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM  # so that the EXIT trap removes the copy
ln -s "$(cd "$REPO/.." && pwd)/shared" "$work/shared"
mkdir -p "$OUT"

copy_tree() {
  rm -rf "$work/repo" && mkdir "$work/repo"
  (cd "$REPO" && git ls-files -z --cached --others --exclude-standard |
    tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$work/repo"
  # A repository of its own: the project root is found by its `.git`, and nothing run in
  # the copy may reach the work tree's.
  git init -q "$work/repo"
}

# Prints "killed total" from the mutmut cache in the current directory. Timeouts count as
# killed (the tests noticed a hang); suspicious ones (passed, only slower) as surviving.
count() {
  local killed=0 total=0 status n
  for status in killed timeout suspicious survived untested skipped; do
    n=$(nice -n 19 "$VENV/bin/mutmut" result-ids "$status" 2>/dev/null | wc -w)
    total=$((total + n))
    [[ $status == killed || $status == timeout ]] && killed=$((killed + n))
  done
  printf '%d %d\n' "$killed" "$total"
}

run_module() {
  local m=$1 report=$OUT/${1//\//.}.txt killed total score
  copy_tree
  cd "$work/repo"
  # The copy's package, not the editable install's, must be the one imported.
  local where
  where=$(PYTHONPATH=$work/repo "$VENV/bin/python" -c \
    'import seldon_graphs; print(seldon_graphs.__file__)')
  [[ $where == "$work/repo/"* ]] || {
    printf 'mutation: tests would import %s, not the copy\n' "$where" >&2
    exit 1
  }
  local runner="$VENV/bin/python -m pytest -x -q -p no:randomly -p no:cacheprovider ${TESTS[$m]}"
  printf 'mutation: %s with: %s\n' "$m" "${TESTS[$m]}" >&2
  PYTHONPATH=$work/repo nice -n 19 "$VENV/bin/mutmut" run \
    --paths-to-mutate "seldon_graphs/$m.py" --tests-dir tests --runner "$runner" \
    --test-time-multiplier 3 --test-time-base 15 --simple-output --no-progress >&2 || true
  read -r killed total < <(count)
  score=$((total == 0 ? 0 : killed * 100 / total))
  {
    printf 'module: seldon_graphs/%s.py\ntests: %s\n' "$m" "${TESTS[$m]}"
    printf 'killed: %d of %d (%d %%)\n\n' "$killed" "$total" "$score"
    for id in $(nice -n 19 "$VENV/bin/mutmut" result-ids survived 2>/dev/null) \
      $(nice -n 19 "$VENV/bin/mutmut" result-ids suspicious 2>/dev/null); do
      printf -- '--- surviving mutant %s\n' "$id"
      nice -n 19 "$VENV/bin/mutmut" show "$id" 2>/dev/null | sed -n '/^@@/,$p'
    done
  } >"$report.tmp"
  mv "$report.tmp" "$report"
  cd "$REPO"
  printf '%-18s %4d of %4d killed (%3d %%)  %s\n' "$m" "$killed" "$total" "$score" "$report"
  ((score >= GOAL))
}

main() {
  local status=0 m
  for m in "${modules[@]}"; do
    run_module "$m" || status=1
  done
  return "$status"
}

# Read to the end before running: editing this file during a long run cannot change it.
main
exit
