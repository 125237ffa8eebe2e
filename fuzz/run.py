#!/usr/bin/env python3
"""Run every libFuzzer target of a fuzz build for a fixed time (`make fuzz`).

    run.py --build BUILD --seconds N [--vectors DIR] [TARGET ...]

For each BUILD/fuzzers/fuzz_* binary (or the TARGETs named): seeds from the
vectors (fuzz/seeds.py, into BUILD/fuzz-seeds), the regression corpus
fuzz/regress/<target>/, a working corpus BUILD/fuzz-corpus/<target>/ that
grows from run to run, libFuzzer flags from fuzz/<target>.options (one per
line) and a dictionary fuzz/<target>.dict when there is one. Findings (crash,
leak, timeout, oom inputs) go to BUILD/fuzz-findings/<target>/, the log to
BUILD/fuzz-logs/<target>.log. Prints per target the executions from
libFuzzer's final stats and the findings; exits 1 if there was any.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FINDING_PREFIXES = ("crash-", "leak-", "timeout-", "oom-")


def target_flags(name):
    flags = []
    opts = os.path.join(HERE, name + ".options")
    if os.path.isfile(opts):
        with open(opts) as f:
            flags += [line.strip() for line in f if line.strip() and not line.startswith("#")]
    if os.path.isfile(os.path.join(HERE, name + ".dict")):
        flags.append("-dict=" + os.path.join(HERE, name + ".dict"))
    return flags


def fresh_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def run_target(build, exe, seconds):
    name = os.path.basename(exe)
    corpus = os.path.join(build, "fuzz-corpus", name)
    os.makedirs(corpus, exist_ok=True)
    findings = fresh_dir(os.path.join(build, "fuzz-findings", name))
    inputs = [d for d in (os.path.join(build, "fuzz-seeds", name), os.path.join(HERE, "regress", name))
              if os.path.isdir(d)]
    cmd = [exe, corpus, *inputs, f"-max_total_time={seconds}", "-print_final_stats=1", "-timeout=10",
           "-rss_limit_mb=2048", f"-artifact_prefix={findings}/", *target_flags(name)]
    log = os.path.join(build, "fuzz-logs", name + ".log")
    os.makedirs(os.path.dirname(log), exist_ok=True)
    with open(log, "w") as f:
        rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT).returncode
    with open(log, errors="replace") as f:
        text = f.read()
    execs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", text)
    found = sorted(n for n in os.listdir(findings) if n.startswith(FINDING_PREFIXES))
    return {"name": name, "rc": rc, "execs": int(execs[-1]) if execs else None,
            "corpus": len(os.listdir(corpus)), "findings": found, "log": log}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--vectors", default=os.path.join(HERE, "..", "..", "shared", "vectors"))
    ap.add_argument("targets", nargs="*")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    subprocess.run([sys.executable, os.path.join(HERE, "seeds.py"), "--vectors", args.vectors,
                    "--ota", os.path.join(build, "ota"), "--out", os.path.join(build, "fuzz-seeds")],
                   check=True)
    exes = sorted(glob.glob(os.path.join(build, "fuzzers", "fuzz_*")))
    if args.targets:
        exes = [e for e in exes if os.path.basename(e) in args.targets]
    if not exes:
        sys.exit(f"run.py: no fuzz targets in {build}/fuzzers")
    start, results = time.time(), []
    for exe in exes:
        r = run_target(build, exe, args.seconds)
        results.append(r)
        execs = "?" if r["execs"] is None else str(r["execs"])
        print(f"fuzz: {r['name']:<16} {execs:>10} executions  corpus {r['corpus']:>5}  "
              f"findings {len(r['findings'])}{'  ' + ', '.join(r['findings']) if r['findings'] else ''}",
              flush=True)
    bad = [r for r in results if r["findings"] or r["execs"] is None]
    print(f"fuzz: {len(results)} targets, {args.seconds} s each, {time.time() - start:.0f} s in all; "
          f"{'FINDINGS, see ' + ', '.join(r['log'] for r in bad) if bad else 'no findings'}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
