#!/usr/bin/env bash
# The GPU checks of the kit, in one run on a machine with a CUDA device (issue 6):
#   1. the kit's GPU tests (fastloop: Triton convolutions against cuDNN, CUDA-graph step vs eager,
#      its train_ch6 on cuda; the reference train_ch6 on cuda, the grader's training check with
#      --device cuda) and a kernel profile of one fastloop step;
#   2. the throughput benchmark on cuda (the book's pipeline against the plain reference and against
#      fastloop), and where a fastloop run's time goes besides the replayed steps;
#   3. the calibration of the book budget on cuda, seeds 0-11 (recorded in autograder/checks/training/calibration.json);
#   4. the grader on the reference with --device cuda, with and without bubblewrap;
#   5. the step profile without fastloop.lean_kernels, and the public tests against the reference.
# The most important come first, in case the machine's time runs out.
#
# Usage, from the repository root:  bash benchmarks/gpu_checks.sh [OUT_DIR]
# Optional inputs (prepared on a machine with network access, see docs/training-threshold.md):
#   .gpu/data/FashionMNIST/raw/*.gz    the data (else the usual look-up, CNN_KIT_DATA included)
#   .gpu/whl/*.whl                     wheels of missing Python packages (e.g. jsonschema)
#   .gpu/bubblewrap_*.deb              bubblewrap, unpacked without installing
# Every step runs under its own time limit; the log and the figures go to OUT_DIR.
set -u
out=${1:-${OUT:-/tmp/cnnkit-gpu}}
mkdir -p "$out"
exec > >(tee "$out/log.txt") 2>&1
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
python=${PYTHON:-python3}
[ -d .gpu/data ] && export CNN_KIT_DATA=$PWD/.gpu/data
if compgen -G ".gpu/whl/*.whl" >/dev/null; then
    $python -m pip install -q --no-index --no-deps --no-compile --target /tmp/cnnkit-site .gpu/whl/*.whl
    export PYTHONPATH=/tmp/cnnkit-site
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
if ! command -v bwrap >/dev/null && compgen -G ".gpu/bubblewrap_*.deb" >/dev/null; then
    dpkg -x .gpu/bubblewrap_*.deb /tmp/cnnkit-bwrap && export PATH=/tmp/cnnkit-bwrap/usr/bin:$PATH
fi

step() {  # step NAME SECONDS COMMAND...: run with a limit, print the wall time and exit status
    local name=$1 limit=$2 start=$SECONDS
    shift 2
    echo "=== $name"
    timeout "$limit" "$@"
    echo "=== $name: exit $?, $((SECONDS - start)) s"
}

nvidia-smi -L
$python -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name())"
step "GPU tests" 200 $python -m pytest tests/test_training.py tests/fastloop -v -p no:cacheprovider
step "step profile, lean kernels" 60 $python benchmarks/step_profile.py
step "benchmark on cuda, fastloop" 90 $python benchmarks/train_throughput.py --device cuda --trainer fastloop --repeat 3 \
    --json "$out/benchmark-cuda-fastloop.json"
step "benchmark on cuda, plain reference" 90 $python benchmarks/train_throughput.py --device cuda --skip-book \
    --json "$out/benchmark-cuda-reference.json"
step "run breakdown on cuda" 60 $python benchmarks/run_breakdown.py --device cuda
step "calibration, book budget, cuda" 90 $python -m autograder.calibrate --seeds 0-11 --jobs 6 \
    --budget book --device cuda --record
cp autograder/checks/training/calibration.json "$out/"
step "grader, --device cuda, book budget" 60 $python -m autograder grade solutions --only training --device cuda \
    --training-budget book --json "$out/grade-book-cuda.json" --attachments "$out"
step "grader, --device cuda, --no-sandbox" 60 $python -m autograder grade solutions --only training --device cuda \
    --no-sandbox
step "step profile, library kernels" 60 $python benchmarks/step_profile.py --library-kernels
step "public tests against the reference" 40 $python -m pytest exercises --target solutions -q -p no:cacheprovider
