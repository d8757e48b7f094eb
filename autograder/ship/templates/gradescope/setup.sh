#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu, with network).
# It installs Python, bubblewrap (the sandbox), PyTorch for the CPU and the grader from source/
# into /autograder/venv, and puts Fashion-MNIST (checked against its md5 sums) in /autograder/data.
set -euxo pipefail
root=${AUTOGRADER_ROOT:-/autograder}
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv python3-pip bubblewrap
python3 -m venv "$root/venv"
"$root/venv/bin/pip" install --upgrade pip
"$root/venv/bin/pip" install torch torchvision --index-url https://download.pytorch.org/whl/cpu
"$root/venv/bin/pip" install "$root/source"
mkdir -p "$root/data"
if [ -d "$root/source/data" ]; then cp -r "$root/source/data/." "$root/data/"; fi
CNN_KIT_DATA="$root/data" "$root/venv/bin/python" -c \
    "import cnnkit; print('Fashion-MNIST:', cnnkit.find_fashion_mnist('$root/data', download=True))"
