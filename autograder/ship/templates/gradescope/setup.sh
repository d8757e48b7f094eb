#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu, with network).
# It installs Python, bubblewrap and libseccomp (the sandbox), PyTorch for the CPU and the grader
# from source/ into /autograder/venv, puts Fashion-MNIST (checked against its md5 sums) in
# /autograder/data, and says in the build log whether the sandbox works in this image: where it
# does not, every grading refuses to run the student's code (run_autograder then gives a zero that
# says so) until it is fixed.
set -euxo pipefail
root=${AUTOGRADER_ROOT:-/autograder}
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv python3-pip bubblewrap libseccomp2
python3 -m venv "$root/venv"
"$root/venv/bin/pip" install --upgrade pip
"$root/venv/bin/pip" install torch torchvision --index-url https://download.pytorch.org/whl/cpu
"$root/venv/bin/pip" install "$root/source"
mkdir -p "$root/data"
if [ -d "$root/source/data" ]; then cp -r "$root/source/data/." "$root/data/"; fi
CNN_KIT_DATA="$root/data" "$root/venv/bin/python" -c \
    "import cnnkit; print('Fashion-MNIST:', cnnkit.find_fashion_mnist('$root/data', download=True))"
"$root/venv/bin/python" -m autograder sandbox || echo "setup.sh: WARNING: the sandbox cannot run in this image; gradings will refuse to run student code" >&2
