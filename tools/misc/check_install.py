"""Check that the installed packages' requirements are met (``pip check``).

mmengine and mmcv declare ``opencv-python``, the OpenCV build with GUI libraries. MaRS-Bench
installs ``opencv-python-headless`` instead: the same ``cv2`` module without the display
libraries that servers and CI machines lack. ``pip check`` reports that one substitution as
a missing requirement; this script accepts exactly it (when ``cv2`` imports) and fails on
anything else. ``tools/misc/setup_env.sh`` runs it last and it prints the
versions of the stack.

Usage::

    python tools/misc/check_install.py
"""
import re
import subprocess
import sys

# "<package> <version> requires opencv-python[<spec>], which is not installed."
OPENCV_SUBSTITUTION = re.compile(
    r'^(mmengine|mmcv) \S+ requires opencv-python\b(?!-)[^,]*, which is not installed\.$')


def unexpected_problems(pip_check_output):
    """Lines of ``pip check`` output other than the accepted OpenCV substitution."""
    return [line for line in pip_check_output.splitlines()
            if line.strip() and line.strip() != 'No broken requirements found.'
            and not OPENCV_SUBSTITUTION.match(line.strip())]


def main():
    result = subprocess.run([sys.executable, '-m', 'pip', 'check'], capture_output=True,
                            text=True)
    output = result.stdout + result.stderr
    problems = unexpected_problems(output)
    if problems:
        print('[setup] pip check found broken requirements:\n  ' + '\n  '.join(problems),
              file=sys.stderr)
        return 1
    if any(OPENCV_SUBSTITUTION.match(line.strip()) for line in output.splitlines()):
        import cv2  # the substitution holds only if the headless build provides cv2
        print(f'[setup] requirements consistent: mmengine / mmcv ask for opencv-python; '
              f'opencv-python-headless {cv2.__version__} provides their cv2 module')
    else:
        print('[setup] requirements consistent (pip check)')
    import mmcv, mmdet, mmengine, mmseg, timm, torch  # noqa: E401
    print('[setup] installed: ' + ', '.join(
        f'{module.__name__} {module.__version__}'
        for module in (torch, mmcv, mmengine, mmseg, mmdet, timm)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
