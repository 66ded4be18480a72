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
# Extra libFuzzer flags can be given in FUZZ_FLAGS. Each run starts from
# fuzz/corpus/<target>/ (kept between runs, not committed), topped up with
# fuzz/seeds/<target>/ and, for the DSL, the repository's circuits/*.yao.
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
for t in "${targets[@]}"; do
    corpus=corpus/$t
    mkdir -p "$corpus"
    [[ -d seeds/$t ]] && cp -n seeds/"$t"/* "$corpus"/ 2>/dev/null
    [[ $t == dsl ]] && cp -n ../circuits/*.yao "$corpus"/ 2>/dev/null
    dict=()
    [[ -f dicts/$t.dict ]] && dict=(-dict="dicts/$t.dict")
    log=logs/$t.log
    # -timeout: one input taking longer is a hang. -rss_limit_mb: the whole
    # process (ASan's shadow memory included) must stay within 2 GiB, so
    # an allocation that follows a hostile length is caught.
    "${cargo[@]}" run "${build_flags[@]}" "$t" "$corpus" -- \
        -max_total_time="$secs" -timeout=30 -rss_limit_mb=2048 \
        -print_final_stats=1 "${dict[@]}" ${FUZZ_FLAGS:-} >"$log" 2>&1
    rc=$?
    stat() { grep -o "stat::$1: *[0-9]*" "$log" | tail -1 | grep -o '[0-9]*$'; }
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*')
    ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*')
    corp=$(grep -o 'corp: [0-9]*' <<<"$last" | grep -o '[0-9]*')
    if [[ $rc -eq 0 ]]; then
        result=ok
    else
        result="FAILED (exit $rc): $(grep -m1 -E 'ERROR|panicked|deadly signal|Timeout|out-of-memory' "$log" | cut -c1-80)"
        failed+=("$t")
    fi
    printf '%-18s %8s %12s %10s %8s %8s %9s  %s\n' "$t" "$secs" \
        "$(stat number_of_executed_units)" "$(stat average_exec_per_sec)" \
        "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
done

if [[ ${#failed[@]} -gt 0 ]]; then
    echo "crashed: ${failed[*]} (inputs in fuzz/artifacts/, logs in fuzz/logs/)" >&2
    exit 1
fi
