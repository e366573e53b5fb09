#!/usr/bin/env bash
# Mutation testing of the error-path modules (docs/testing.md): mutmut changes one thing
# in a module at a time and runs the fast tests that cover it; a mutant the tests do not
# notice is a gap in them. Slow (minutes per module), so not part of CI.
#   scripts/mutation.sh [MODULE...]   MODULE as listed below, default all of them
# Runs on a copy of the work tree (tracked and untracked files, uncommitted edits
# included) so a mutant can never be left in the sources; results go to build/mutation/.
# mutmut's cache is kept there too (MODULE.mutmut-cache, saved even when a run is
# interrupted): the next run tests only the mutants not killed yet, since a killed mutant
# stays killed when tests are added. MUTATION_FRESH=1 starts from an empty cache.
# MUTATION_RECHECK_ONLY=1 (mutmut 2) skips mutmut's own run, which tests every survivor
# again narrowed, and runs the whole set on the cache's timeouts, survivors and untested.
# A module mutmut 2 cannot parse (a `match` statement: its parser, parso 0.8, predates it)
# goes to mutmut 3 instead (scripts/mutation_mutmut3.py), installed on first use in its own
# venv, build/mutation/mutmut3 (it needs a newer click than seldon-core allows in .venv).
# Exit 0 when every module reaches the goal, 1 when one falls short, 2 on a usage error.
set -euo pipefail

GOAL=${MUTATION_GOAL:-85}  # per cent of mutants killed, per module
JOBS=${MUTATION_JOBS:-1}  # mutmut processes per module (see run_shards)
REPO=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-$REPO/.venv}
OUT=$REPO/build/mutation
MUTMUT3=3.8.1  # the mutmut 3 release the mutmut 3 venv is made with
M3=$OUT/mutmut3
# Without the plugins these tests do not use: hypothesis' and schemathesis' imports are most
# of a pytest start (2 s of CPU of 3), which most killed mutants cost little more than.
PLUGINS="-p no:cacheprovider -p no:hypothesispytest -p no:schemathesis -p no:anyio"
PYTEST="$VENV/bin/python -m pytest -q -p no:randomly $PLUGINS"
PREFIX="$PYTEST -x"

# Each module with the fast tests that exercise it (never the docker, cluster or slow ones,
# except for runtime/docker.py, which only a real engine can run), the most telling first:
# pytest stops at the first failure, so a killed mutant costs only the tests before it.
# Wall-clock limits are left out: under `nice` a starved run would fail them unmutated.
declare -A TESTS=(
  [safety]="tests/test_safety_rules.py tests/test_kubernetes_names.py tests/test_secret_diagnostics.py tests/wrapper/test_collect.py tests/test_output_safety.py tests/test_bad_graphs.py -k 'not linear_time'"
  [wrapper/context]="tests/wrapper/test_context_findings.py tests/wrapper/test_context_plan_rules.py tests/wrapper/test_label_quoting.py tests/wrapper/test_context.py tests/wrapper/test_context_values.py tests/wrapper/test_context_stream.py tests/test_context_check.py tests/wrapper/test_collect.py tests/wrapper/test_images.py tests/test_bad_graphs.py -k 'not memory_does_not_grow'"
  [deploy/preflight]="tests/deploy/test_preflight_rules.py tests/deploy/test_preflight_secrets.py tests/deploy/test_preflight_messages.py tests/deploy/test_flow.py tests/deploy/test_every_predictor.py tests/deploy/test_real_server_behaviour.py tests/deploy/test_storage_secrets.py tests/deploy/test_wrong_secret.py"
  [deploy/wait]="tests/deploy/test_wait_reports.py tests/deploy/test_flow.py tests/deploy/test_real_server_behaviour.py"
  [runtime/process]="tests/runtime/test_process_env.py tests/runtime/test_process_start.py tests/runtime/test_supervision.py tests/runtime/test_process.py"
  [runtime/docker]="tests/runtime/test_docker_plan.py tests/runtime/test_docker.py 'tests/runtime/test_conformance.py::test_every_runtime_gives_the_same_answers[docker]'"
  [runtime/http1]="tests/runtime/test_http1_edges.py tests/runtime/test_http1.py tests/runtime/test_http1_survivors.py tests/runtime/test_http1_closed_early.py tests/runtime/test_http1_parsing.py"
  [runtime/server]="tests/runtime/test_server_lifecycle.py tests/runtime/test_server_answers.py tests/runtime/test_server.py tests/runtime/test_server_limits.py tests/runtime/test_inprocess.py"
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
[[ ${MUTATION_ENGINE:-2} == [23] ]] || {
  printf 'mutation: MUTATION_ENGINE is 2 or 3 (mutmut 2 or 3), not %s\n' "$MUTATION_ENGINE" >&2
  exit 2
}
[[ -x $VENV/bin/mutmut ]] || {
  printf 'mutation: %s/bin/mutmut is missing: run `make install`\n' "$VENV" >&2
  exit 2
}

# The copy sits beside a link to ../shared, where the tests find Seldon's CRD and examples.
work=$(mktemp -d "${TMPDIR:-/tmp}/seldon-graphs-mutation.XXXXXX")
running=""  # the module whose cache is in the copy
engine=2     # the mutmut that runs it
trap 'save_cache; rm -rf "$work"' EXIT
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

# Prints "killed total" from the mutmut cache in the current directory. Killed: the tests
# failed ("killed"; "suspicious" is mutmut's name for killed, only slower than usual) or hung
# ("timeout", confirmed by `recheck_timeouts`).
count() {
  local killed=0 total=0 status n
  for status in killed timeout suspicious survived untested skipped; do
    n=$(nice -n 19 "$VENV/bin/mutmut" result-ids "$status" 2>/dev/null | wc -w)
    total=$((total + n))
    [[ $status == survived || $status == untested || $status == skipped ]] ||
      killed=$((killed + n))
  done
  printf '%d %d\n' "$killed" "$total"
}

set_status() {  # ID STATUS: mutmut's own status names (ok_killed, bad_survived)
  "$VENV/bin/python" -c 'import sqlite3, sys
with sqlite3.connect(".mutmut-cache") as db:
    db.execute("update Mutant set status = ? where id = ?", (sys.argv[2], int(sys.argv[1])))' "$@"
}

# mutmut's timeout is ten times its one baseline run: on a busy machine a surviving mutant
# can take that long. Each timeout is run again, alone, with the whole test set and
# MUTATION_RECHECK_S seconds: it counts as killed only if the tests fail or still do not
# finish. So is each mutant that survived only some of the tests (trace_lines). The
# rechecks run in MUTATION_JOBS lanes, each on its own copy of the copy: a survivor costs a
# whole run of the set, and the docker and process tests mostly wait on what they start.
recheck() {  # timeout|survived FILE RUNNER
  local status=$1 file=$2 runner=$3 id rc ids k
  if [[ $status == timeout ]]; then
    ids=$(nice -n 19 "$VENV/bin/mutmut" result-ids timeout 2>/dev/null) || ids=""
  elif [[ ${MUTATION_RECHECK_ONLY:-0} == 1 ]]; then  # tests may have changed since: all of them
    ids="$(nice -n 19 "$VENV/bin/mutmut" result-ids survived 2>/dev/null) $(nice -n 19 \
      "$VENV/bin/mutmut" result-ids untested 2>/dev/null)" || ids=""
  else
    ids=$("$VENV/bin/python" scripts/mutation_lines.py narrowed-survivors .mutmut-cache \
      "$work/lines.json" 2>/dev/null) || ids=""
  fi
  [[ -n $ids ]] || return 0
  for ((k = 0; k < JOBS; k++)); do
    rm -rf "$work/check.$k" "$work/check.$k.rc" && cp -a "$work/repo" "$work/check.$k"
    recheck_lane "$work/check.$k" "$file" "$runner" "$k" $ids &
  done
  wait
  for ((k = 0; k < JOBS; k++)); do
    while read -r id rc; do
      if ((rc == 0)); then
        set_status "$id" bad_survived
      elif ((rc == 124)); then
        set_status "$id" bad_timeout
      else
        set_status "$id" ok_killed
      fi
      printf 'mutation: %s %s rechecked: %s\n' "$status" "$id" \
        "$( ((rc == 0)) && echo survived || echo killed)" >&2
    done < <(cat "$work/check.$k.rc" 2>/dev/null)
  done
  rm -rf "$work"/check.*
}

recheck_lane() {  # DIR FILE RUNNER LANE ID...: every JOBS-th id from the LANE-th; "ID RC" lines
  local dir=$1 file=$2 runner=$3 lane=$4 id rc i=0
  shift 4
  for id in "$@"; do
    ((i++ % JOBS == lane)) || continue
    (cd "$dir" && cp "$file" "$dir.original" &&
      nice -n 19 "$VENV/bin/mutmut" apply "$id" >/dev/null 2>&1)
    rc=0
    (cd "$dir" && PYTHONPATH=$dir timeout "${MUTATION_RECHECK_S:-600}" nice -n 19 \
      bash -c "$runner" >/dev/null 2>&1) || rc=$?
    cp "$dir.original" "$dir/$file"
    printf '%s %s\n' "$id" "$rc" >>"$dir.rc"
  done
}

cache_of() { printf '%s/%s.mutmut-cache' "$OUT" "${1//\//.}"; }
state_of() { printf '%s/%s.mutmut3.json' "$OUT" "${1//\//.}"; }  # mutmut 3's results

# The copy's cache back to build/mutation/ (SQLite's own copy: consistent mid-run too).
save_cache() {
  [[ -n $running ]] || return 0
  if [[ $engine == 3 ]]; then
    "$M3/bin/python" "$REPO/scripts/mutation_mutmut3.py" save "$work/repo" \
      "$(state_of "$running")" "$running"
    return 0
  fi
  merge_lanes
  [[ -f $work/repo/.mutmut-cache ]] || return 0
  local dest
  dest=$(cache_of "$running")
  "$VENV/bin/python" -c 'import sqlite3, sys
src, dst = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2] + ".tmp")
src.backup(dst)
dst.close()' "$work/repo/.mutmut-cache" "$dest" && mv "$dest.tmp" "$dest"
}

# Each mutant is tested only by the tests that ran its line in one traced run of the set
# (scripts/mutation_lines.py): a test that never runs the line cannot notice the mutant.
# A line that ran outside every test (at import) or not under the trace gets the whole set;
# `recheck_survivors` runs the whole set on what survives a narrowed run.
trace_lines() {  # MODULE
  local rc=0 start=$SECONDS
  PYTHONPATH=$work/repo:$work/repo/scripts MUTATION_LINES_MODULE=seldon_graphs/$1.py \
    MUTATION_LINES_OUT=$work/lines.json timeout "${MUTATION_TRACE_S:-1800}" nice -n 19 \
    bash -c "$PYTEST -p mutation_lines ${TESTS[$1]}" \
    >/dev/null 2>&1 || rc=$?
  [[ -f $work/lines.json ]] || printf 'mutation: no trace of %s: every mutant gets every test\n' "$1" >&2
  # A clean traced run is mutmut's baseline too (slower than a plain one: its timeouts are
  # only more lenient), so that no lane spends a whole run of the set on its own baseline.
  ((rc == 0)) || return 0
  "$VENV/bin/python" -c 'import sys
from mutmut.cache import hash_of_tests, set_cached_test_time
set_cached_test_time(float(sys.argv[1]), hash_of_tests(["tests"]))' "$((SECONDS - start + 1))"
}

hook() {  # DIR: mutmut imports mutmut_config from where it runs
  printf 'import sys\nsys.path.insert(0, "scripts")\nfrom mutation_lines import pre_mutation\n' \
    >"$1/mutmut_config.py"
}

run_mutmut() {  # DIR MODULE RUNNER LANE
  (cd "$1" && PYTHONPATH=$1 MUTATION_LANE=$4 MUTATION_LANES=$JOBS \
    MUTATION_LINES_FILE=$work/lines.json MUTATION_TEST_PREFIX=$PREFIX \
    nice -n 19 "$VENV/bin/mutmut" run \
    --paths-to-mutate "seldon_graphs/$2.py" --tests-dir tests --runner "$3" \
    --test-time-multiplier 3 --test-time-base 15 --simple-output --no-progress >&2) || true
}

# MUTATION_JOBS copies of the copy, each testing its share of the mutants (the hook skips
# the others), their results merged into the copy's cache. On a machine others
# keep busy, a process at `nice -n 19` gets a small share of a core, so lanes add up; they
# take little from anyone at that priority.
# The lanes' caches into the copy's: each mutant's result from the lane that tested it (the
# first lane's cache, the base, has the others' mutants skipped, or untested where it stopped
# before reaching them).
merge_lanes() {
  compgen -G "$work/repo.*/.mutmut-cache" >/dev/null || return 0
  "$VENV/bin/python" - "$work/repo/.mutmut-cache" "$work"/repo.*/.mutmut-cache <<'PY'
import sqlite3
import sys

merged, shards = sys.argv[1], sys.argv[2:]
with sqlite3.connect(shards[0]) as first, sqlite3.connect(merged) as db:
    first.backup(db)  # consistent even while that lane writes
with sqlite3.connect(merged) as db:
    for shard in shards[1:]:
        db.execute("attach ? as shard", (shard,))
        db.execute(
            "update Mutant set (status, tested_against_hash) = (select s.status,"
            " s.tested_against_hash from shard.Mutant s where s.id = Mutant.id)"
            " where status in ('skipped', 'untested') and (select s.status from"
            " shard.Mutant s where s.id = Mutant.id) not in ('skipped', 'untested')"
        )
        db.commit()
        db.execute("detach shard")
    # A shard that was stopped leaves its share skipped elsewhere: untested, so it runs next time.
    db.execute("update Mutant set status = 'untested' where status = 'skipped'")
PY
}

run_shards() {
  local m=$1 runner=$2 k
  for ((k = 0; k < JOBS; k++)); do
    rm -rf "$work/repo.$k" && cp -a "$work/repo" "$work/repo.$k"
    run_mutmut "$work/repo.$k" "$m" "$runner" "$k" &
  done
  wait
  merge_lanes
  rm -rf "$work"/repo.*
}

# Its own venv, made once per MUTMUT3 release: mutmut 3 runs the tests in its own process,
# so the project's packages are added after its own (a .pth file). Where both have a
# package, the project's constraints pick the same version, but for click (seldon-core
# pins it below 8.1, mutmut 3 needs 8.4 or later; no test of wrapper/context imports it).
mutmut3_venv() {
  [[ -f $M3/.installed-$MUTMUT3 ]] && return 0
  printf 'mutation: installing mutmut %s in %s\n' "$MUTMUT3" "$M3" >&2
  rm -rf "$M3" && mkdir -p "$OUT"
  python3.11 -m venv "$M3"
  grep -v -E '^(click|mutmut)==' "$REPO/constraints.txt" >"$M3/constraints.txt"
  "$M3/bin/pip" install --quiet -c "$M3/constraints.txt" "mutmut==$MUTMUT3" >&2
  local site
  site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  "$M3/bin/python" -c 'import sys, sysconfig
with open(sysconfig.get_paths()["purelib"] + "/zz-seldon-graphs.pth", "w") as pth:
    pth.write(f"import site; site.addsitedir({sys.argv[1]!r})\n")' "$site"
  touch "$M3/.installed-$MUTMUT3"
}

# mutmut 3 in the copy: its mutants/ folder holds the package (this module mutated), the
# tests and every other top-level entry; `shared` beside it is the link to ../shared, where
# the tests look from mutants/. Its lanes are its own workers (--max-children).
run_mutmut3() {  # MODULE
  local m=$1 py=$M3/bin/python helper=$REPO/scripts/mutation_mutmut3.py
  ln -s "$work/shared" "$work/repo/shared"
  "$py" "$helper" configure "$work/repo" "$m" "${TESTS[$m]}" "$PLUGINS"
  [[ ${MUTATION_FRESH:-0} == 1 ]] || "$py" "$helper" restore "$(state_of "$m")" "$work/repo" "$m"
  # The folder exists first: python skips a PYTHONPATH entry for good if it is no folder
  # when python starts. A repository, as the copy is (some graphs of the tests list `.git`).
  git init -q "$work/repo/mutants"
  [[ -d $work/repo/mutants/../shared/seldon ]] || {
    printf 'mutation: the tests in mutants/ would not find ../shared\n' >&2
    exit 1
  }
  # mutmut 3 exits 0 when it has tested every mutant, or was interrupted (its results so far
  # are kept), and 1 when it could not start (its output above says why).
  PYTHONPATH=$work/repo/mutants nice -n 19 "$M3/bin/mutmut" run --max-children "$JOBS" >&2 || {
    printf 'mutation: mutmut %s stopped before testing the mutants of %s\n' "$MUTMUT3" "$m" >&2
    exit 1
  }
  nice -n 19 "$py" "$helper" recheck "$work/repo" "$m" "${MUTATION_RECHECK_S:-600}" "$JOBS" -- \
    bash -c "exec $py -m pytest -q -x -p no:randomly $PLUGINS ${TESTS[$m]}"
}

report_mutmut3() {  # MODULE: the survivors' diffs
  local m=$1 name
  for name in $("$M3/bin/python" "$REPO/scripts/mutation_mutmut3.py" survivors "$work/repo" "$m"); do
    printf -- '--- surviving mutant %s\n' "$name"
    "$M3/bin/mutmut" show "$name" 2>/dev/null | sed -n '/^@@/,$p'
  done
}

run_module() {
  local m=$1 report=$OUT/${1//\//.}.txt killed total score
  copy_tree
  engine=${MUTATION_ENGINE:-$("$VENV/bin/python" "$REPO/scripts/mutation_mutmut3.py" engine \
    "$work/repo/seldon_graphs/$m.py")}
  if [[ $engine == 3 ]]; then
    mutmut3_venv
    running=$m
    cd "$work/repo"
    printf 'mutation: %s with mutmut %s, tests: %s\n' "$m" "$MUTMUT3" "${TESTS[$m]}" >&2
    run_mutmut3 "$m"
    read -r killed total < <("$M3/bin/python" "$REPO/scripts/mutation_mutmut3.py" count \
      "$work/repo" "$m")
    finish_module "$m" "$report" "$killed" "$total" report_mutmut3 "mutmut $MUTMUT3"
    return
  fi
  [[ ${MUTATION_FRESH:-0} == 1 ]] || [[ ! -f $(cache_of "$m") ]] ||
    cp "$(cache_of "$m")" "$work/repo/.mutmut-cache"
  running=$m
  cd "$work/repo"
  # The copy's package, not the editable install's, must be the one imported.
  local where
  where=$(PYTHONPATH=$work/repo "$VENV/bin/python" -c \
    'import seldon_graphs; print(seldon_graphs.__file__)')
  [[ $where == "$work/repo/"* ]] || {
    printf 'mutation: tests would import %s, not the copy\n' "$where" >&2
    exit 1
  }
  local runner="$PREFIX ${TESTS[$m]}"
  printf 'mutation: %s with: %s\n' "$m" "${TESTS[$m]}" >&2
  trace_lines "$m"
  hook "$work/repo"
  if [[ ${MUTATION_RECHECK_ONLY:-0} == 1 ]]; then
    : # the cache's results as they are: only the rechecks below
  elif ((JOBS > 1)); then
    run_shards "$m" "$runner"
  else
    run_mutmut "$work/repo" "$m" "$runner" 0
  fi
  recheck timeout "seldon_graphs/$m.py" "$runner"
  recheck survived "seldon_graphs/$m.py" "$runner"
  read -r killed total < <(count)
  finish_module "$m" "$report" "$killed" "$total" report_mutmut2 \
    "mutmut $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("mutmut"))')"
}

report_mutmut2() {  # MODULE: the survivors' diffs
  local id
  for id in $(nice -n 19 "$VENV/bin/mutmut" result-ids survived 2>/dev/null); do
    printf -- '--- surviving mutant %s\n' "$id"
    nice -n 19 "$VENV/bin/mutmut" show "$id" 2>/dev/null | sed -n '/^@@/,$p'
  done
}

# The report (score, then each survivor's diff, by the engine's SURVIVORS function), the
# cache kept, the score line; status 0 when the module reaches the goal.
finish_module() {  # MODULE REPORT KILLED TOTAL SURVIVORS ENGINE
  local m=$1 report=$2 killed=$3 total=$4 score
  score=$((total == 0 ? 0 : killed * 100 / total))
  {
    printf 'module: seldon_graphs/%s.py\nengine: %s\ntests: %s\n' "$m" "$6" "${TESTS[$m]}"
    printf 'killed: %d of %d (%d %%)\n\n' "$killed" "$total" "$score"
    "$5" "$m"
  } >"$report.tmp"
  mv "$report.tmp" "$report"
  save_cache
  running=""
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
