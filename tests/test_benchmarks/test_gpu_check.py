"""benchmarks/gpu_check.py --tiny: every task's base config and the pretraining step train
on the CPU (tiny arch, 64 px), with finite losses, and the table / JSON come out."""
import json
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_tiny_smoke_of_every_task(tmp_path):
    out = tmp_path / 'gpu_check.json'
    result = subprocess.run(
        [sys.executable, osp.join(REPO, 'benchmarks', 'gpu_check.py'), '--tiny', '--out',
         str(out)], capture_output=True, text=True, timeout=600, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    rows = json.loads(out.read_text())['rows']
    tasks = [row['task'] for row in rows]
    assert tasks == ['road', 'landcover', 'height', 'change', 'damage', 'detection',
                     'instances', 'pretrain-tiny', 'pretrain-tiny']
    assert [row.get('with_cp') for row in rows[-2:]] == [False, True]
    for row in rows:
        assert row['finite_losses'] and row['iters_per_s'] > 0, row
        assert row['input'] == [64, 64] and row['batch'] == 2
    assert '| detection | fp32 | 64x64 | 2 |' in result.stdout
