"""get_flops.py and benchmark.py on tiny configs."""
import json


def test_get_flops_counts_every_parameter(tmp_path, run_tool_main, configs, capsys):
    from mars.apis import init_model
    for name, channels in (('seg', 3), ('height', 4), ('det', 3)):
        out = tmp_path / f'{name}.json'
        run_tool_main('analysis_tools/get_flops.py', configs[name], '--shape', 64, 64,
                      '--out', out)
        result = json.loads(out.read_text())
        assert result['shape'] == [channels, 64, 64]  # all modalities stacked
        model = init_model(configs[name])
        assert result['params'] == sum(p.numel() for p in model.parameters())
        assert result['flops'] > 0
    assert 'Flops:' in capsys.readouterr().out


def test_benchmark_reports_speed_and_memory(tmp_path, run_tool_main, configs,
                                            save_checkpoint, capsys):
    checkpoint, _ = save_checkpoint(configs['height'], tmp_path / 'height.pth')
    out = tmp_path / 'bench.json'
    run_tool_main('analysis_tools/benchmark.py', configs['height'], checkpoint, '--shape', 64,
                  '--num-iters', 3, '--num-warmup', 1, '--batch-size', 2, '--out', out)
    result = json.loads(out.read_text())
    assert result['shape'] == [64, 64] and result['batch_size'] == 2
    assert result['images_per_s'] > 0 and result['latency_ms_mean'] > 0
    assert result['peak_memory_mb'] > 50  # the process's peak RSS (torch alone is more)
    assert '"images_per_s"' in capsys.readouterr().out
