#!/usr/bin/env bash
# Install the real OpenMMLab packages that tests/test_openmmlab_real.py builds -- mmengine 0.10.7,
# mmdet 3.3.0, mmpretrain 1.2.0 -- into the active Python environment, beside the torch already there.
#
# - torch is never changed: it is pinned to the installed version (install torch first).
# - An installed mmcv (a build with its compiled ops) is kept. Otherwise mmcv-lite 2.1.0 is installed: mmcv's
#   Python code without compiled ops, since mmcv has no CPU wheel on PyPI and building its ops takes about
#   45 minutes on 2 cores. The test then stands in for the compiled module mmcv._ext alone
#   (tests/support/compiled_ops.py); calling a compiled op raises.
# - torchvision (mmpretrain imports it) is installed if missing, in the version made for torch 2.13.0. PyPI's
#   wheel is linked against CUDA torch; where its compiled _C does not load, the test uses the stand-in
#   hydrareg_zoo/common/torchvision_ops.py (two operators declared, whose kernels refuse to run).
#
# Use an environment of its own: once mmdet and mmpretrain are installed, `mmdet.X` and `mmpretrain.X` in a
# config name their classes, not the demo libraries' (hydrareg_zoo), whose configs and tests then fail.
#
# Usage: bash scripts/install_openmmlab.sh        (PYTHON=/path/to/python to choose the interpreter)
set -euo pipefail

PYTHON=${PYTHON:-python}
has() { "$PYTHON" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('$1') is None)"; }

if ! torch_version=$("$PYTHON" -c 'import torch; print(torch.__version__)' 2>/dev/null); then
    echo "install_openmmlab.sh: install torch first (here: pip install torch==2.13.0)" >&2
    exit 2
fi
packages=(mmengine==0.10.7 mmdet==3.3.0 mmpretrain==1.2.0 "torch==$torch_version")
if ! has mmcv; then
    packages+=(mmcv-lite==2.1.0)
fi
if ! has torchvision; then
    case $torch_version in
        2.13.0*) packages+=(torchvision==0.28.0) ;;
        *)
            echo "install_openmmlab.sh: install the torchvision made for torch $torch_version first" >&2
            exit 2
            ;;
    esac
fi
"$PYTHON" -m pip install "${packages[@]}"
