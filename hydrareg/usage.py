"""What ``hydrareg --help`` tells a user: what the command is for, and examples to copy."""

DESCRIPTION = """\
Tools for hydrareg, which joins Hydra's config composition and sweeps with MMEngine's
type/_scope_ registry tree. Your Hydra app (or this repository's run.py) builds configs;
this command works on configs without running them."""

EPILOG = """\
examples:
  hydrareg convert path/to/mmdet/configs converted/mmdet
      convert a tree of MMEngine _base_ configs into Hydra configs (one file or a subdirectory
      works too: its bases come from the enclosing tree)
  hydrareg convert configs/retinanet out --root configs
  python -m hydrareg --version

run one command's --help for its options (hydrareg convert --help). The demo app:
  python run.py --help"""
