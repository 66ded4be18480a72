#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS each, one after the
# other, and prints executions per second and coverage per target. Exits
# non-zero if any target crashed, hung (-timeout) or ran out of memory
# (-rss_limit_mb); the input that did it is in fuzz/artifacts/<target>/.
#
#   fuzz/run.sh SECONDS [TARGET...]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). cargo-fuzz uses nightly-only
# compiler flags (sanitizers, coverage instrumentation); on a stable
# toolchain RUSTC_BOOTSTRAP=1 unlocks them, which this script sets unless
# FUZZ_TOOLCHAIN names another toolchain (e.g. FUZZ_TOOLCHAIN=nightly).
# Extra libFuzzer flags can be given in FUZZ_FLAGS. With FUZZ_KEEP_GOING=1
# a target keeps fuzzing after a crash (libFuzzer's fork mode, which saves
# every crashing input and goes on), so one known bug does not stop the
# campaign; the script still exits non-zero if any input crashed. Each run starts from
# fuzz/corpus/<target>/ (kept between runs, not committed), topped up with
# fuzz/seeds/<target>/ and, for the DSL, the repository's circuits/*.yao.
# While the script runs, it must not be edited (bash reads it as it goes).
set -uo pipefail

if [[ $# -lt 1 || ! $1 =~ ^[0-9]+$ ]]; then
    echo "usage: $0 SECONDS [TARGET...]" >&2
    exit 2
fi
secs=$1
shift
cd "$(dirname "$0")"

if [[ -n ${FUZZ_TOOLCHAIN:-} ]]; then
    cargo=(cargo "+$FUZZ_TOOLCHAIN" fuzz)
else
    export RUSTC_BOOTSTRAP=1
    cargo=(cargo fuzz)
fi
# Release code with overflow checks and debug assertions: an arithmetic
# overflow on hostile input is a bug too.
build_flags=(-O --debug-assertions)

if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    mapfile -t targets < <("${cargo[@]}" list)
fi

echo "building ${#targets[@]} fuzz targets..."
if ! "${cargo[@]}" build "${build_flags[@]}" >logs.build 2>&1; then
    tail -30 logs.build >&2
    echo "fuzz build failed" >&2
    exit 2
fi
rm -f logs.build
mkdir -p logs

failed=()
printf '%-18s %8s %12s %10s %8s %8s %9s  %s\n' \
    target seconds executions exec/s cov features corpus result
# seconds: wall time of the run; executions and coverage (cov: edges,
# features: libFuzzer's finer coverage signals, corpus: inputs kept) are
# libFuzzer's last status line.
for t in "${targets[@]}"; do
    corpus=corpus/$t
    mkdir -p "$corpus"
    [[ -d seeds/$t ]] && cp -n seeds/"$t"/* "$corpus"/ 2>/dev/null
    # The DSL starts from the repository's circuits, except AES-128 and
    # SHA-256: with the sanitizer's overhead their compilation alone takes
    # seconds and more than the memory limit (they are compiled by the test
    # suite instead).
    if [[ $t == dsl ]]; then
        for f in ../circuits/*.yao; do
            case $f in */aes128.yao | */sha256.yao) ;; *) cp -n "$f" "$corpus"/ ;; esac
        done
    fi
    dict=()
    [[ -f dicts/$t.dict ]] && dict=(-dict="dicts/$t.dict")
    log=logs/$t.log
    # -timeout: one input taking longer is a hang. -rss_limit_mb: the whole
    # process (ASan's shadow memory included) must stay within 2 GiB, so
    # an allocation that follows a hostile length is caught.
    mode=()
    [[ ${FUZZ_KEEP_GOING:-0} == 1 ]] && mode=(-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)
    artifacts=artifacts/$t
    mkdir -p "$artifacts"
    before=$(ls "$artifacts" | wc -l)
    # Build first so that the time column is fuzzing time.
    "${cargo[@]}" build "${build_flags[@]}" "$t" >/dev/null 2>&1
    start=$(date +%s)
    "${cargo[@]}" run "${build_flags[@]}" "$t" "$corpus" -- \
        -max_total_time="$secs" -timeout=30 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        -print_final_stats=1 "${mode[@]}" "${dict[@]}" ${FUZZ_FLAGS:-} >"$log" 2>&1
    rc=$?
    elapsed=$(($(date +%s) - start))
    # The last status line: `#N ... cov: C ft: F corp: K...` (both modes).
    last=$(grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -1)
    field() { grep -oE "$1:? [0-9]+" <<<"$last" | grep -oE '[0-9]+$'; }
    execs=$(grep -oE '^#[0-9]+' <<<"$last" | tr -d '#')
    # libFuzzer's own rate (fuzzing time only, not the build or corpus load).
    per_sec=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$')
    [[ -z $per_sec ]] && per_sec=$(field exec/s)
    new=$(($(ls "$artifacts" | wc -l) - before))
    if [[ $rc -eq 0 && $new -eq 0 ]]; then
        result=ok
    else
        why=$(grep -m1 -E 'ERROR|panicked|deadly signal|Timeout|out-of-memory' "$log" | cut -c1-70)
        result="FAILED (exit $rc, $new new inputs in $artifacts): $why"
        failed+=("$t")
    fi
    printf '%-18s %8s %12s %10s %8s %8s %9s  %s\n' "$t" "$elapsed" \
        "${execs:-?}" "$per_sec" "$(field cov)" "$(field ft)" "$(field corp)" "$result"
done

if [[ ${#failed[@]} -gt 0 ]]; then
    echo "crashed: ${failed[*]} (inputs in fuzz/artifacts/, logs in fuzz/logs/)" >&2
    exit 1
fi
