"""tools/misc/check_install.py: the set-up ends with a clean dependency check."""
import os.path as osp
import subprocess
import sys

from helpers import REPO_ROOT, load_tool

SCRIPT = osp.join(REPO_ROOT, 'tools', 'misc', 'check_install.py')


def _module():
    return load_tool('misc/check_install.py', 'check_install')


def test_only_the_opencv_substitution_is_accepted():
    check = _module()
    output = ('mmengine 0.10.7 requires opencv-python, which is not installed.\n'
              'mmcv 2.1.0 requires opencv-python>=3, which is not installed.\n'
              'mmdet 3.3.0 requires pycocotools, which is not installed.\n'
              'mmcv 2.1.0 requires opencv-python-contrib, which is not installed.\n'
              'timm 1.0.31 has requirement torch>=2.0, but you have torch 1.13.\n')
    assert check.unexpected_problems(output) == output.splitlines()[2:]
    assert check.unexpected_problems('No broken requirements found.\n') == []


def test_this_environment_passes_the_check():
    result = subprocess.run([sys.executable, SCRIPT], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert '[setup] requirements consistent' in result.stdout
    assert 'ERROR' not in result.stdout + result.stderr
