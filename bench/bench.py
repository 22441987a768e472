"""Benchmark: djmodel's training against the straightforward Keras 3 port, and lstm.py by phase.

    python bench/bench.py            # 3 repeats of everything, medians
    python bench/bench.py --help

Part 1 trains, in one process, on the same X, Y and from the same initial weights:
  (a) the straightforward port: the plain LSTM(n_a, return_state=True) called Tx times, a
      plain keras Model, the course's per-output accuracy metrics, Keras's default batch size;
  (b) the project's djmodel (unrolled one-step LSTM calls, FastTrainingModel, batches of 30).
Part 2 runs lstm.py's cells in a fresh process per repeat with the preprocessing cache
emptied, timing each cell as a phase, and reports the process's peak resident memory: every
figure is a first run's. Then it times corpus loading alone, with the cache cold and warm.
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "data" / ".cache"
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")


def fit_both(epochs):
    """Child process: fit (a) and (b) from the same start; print JSON."""
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    import numpy as np
    import keras
    from keras.layers import LSTM, Dense, Reshape
    from keras.optimizers import Adam
    from keras.optimizers.schedules import InverseTimeDecay

    import lstm
    from data_utils import load_music_utils

    X, Y, n_values, _ = load_music_utils()
    n_a, Tx, m = 64, X.shape[1], X.shape[0]
    zeros = np.zeros((m, n_a))

    def optimizer():
        return Adam(learning_rate=InverseTimeDecay(0.01, decay_steps=1, decay_rate=0.01))

    keras.utils.set_random_seed(0)
    reshapor, cell, densor = Reshape((1, n_values)), LSTM(n_a, return_state=True), Dense(
        n_values, activation="softmax")
    x_in, a0, c0 = keras.Input((Tx, n_values)), keras.Input((n_a,)), keras.Input((n_a,))
    a, c, outputs = a0, c0, []
    for t in range(Tx):
        a, _, c = cell(reshapor(x_in[:, t, :]), initial_state=[a, c])
        outputs.append(densor(a))
    plain = keras.Model([x_in, a0, c0], outputs)
    plain.compile(optimizer=optimizer(), loss="categorical_crossentropy",
                  metrics=[["accuracy"]] * Tx)

    ours = lstm.djmodel(Tx, n_a, n_values)  # the course's shared layers, as `import lstm` made them
    ours.compile(optimizer=optimizer(), loss="categorical_crossentropy", jit_compile=False)
    ours.set_weights(plain.get_weights())

    result = {}
    for name, model, kwargs in [("straightforward", plain, {}), ("djmodel", ours, {"batch_size": 30})]:
        epoch_ends = []
        clock = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: epoch_ends.append(time.perf_counter()))
        start = time.perf_counter()
        history = model.fit([X, zeros, zeros], list(Y), epochs=epochs, verbose=0, callbacks=[clock], **kwargs)
        result[name] = {"fit_s": time.perf_counter() - start, "first_epoch_s": epoch_ends[0] - start,
                        "final_loss": history.history["loss"][-1]}
    print(json.dumps(result))


def run_phases(argv):
    """Child process: run lstm.py's code cells as __main__, timing each; print JSON."""
    import jupytext

    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    sys.argv = ["lstm.py", *argv]
    notebook = jupytext.read(ROOT / "lstm.py")
    namespace = {"__name__": "__main__", "__file__": str(ROOT / "lstm.py")}
    phases = []
    start = time.perf_counter()
    devnull = open(os.devnull, "w")
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        began = time.perf_counter()
        saved, sys.stdout = sys.stdout, devnull
        try:
            exec(compile(cell.source, "lstm.py", "exec"), namespace)
        finally:
            sys.stdout = saved
        phases.append((phase_name(cell.source), time.perf_counter() - began))
    total = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"phases": phases, "total_s": total, "peak_mib": peak_mib}))


def load_corpus():
    """Child process: time loading the corpus (parsed or from the cache) once imports are done."""
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    from data_utils import load_music_utils
    from jazz_improv.corpus import load_solo

    began = time.perf_counter()
    load_solo("data/original_metheny.mid")
    load_music_utils("data/original_metheny.mid")
    print(json.dumps({"load_s": time.perf_counter() - began}))


def phase_name(source):
    """A short name for a cell, from what it does."""
    rules = [("args = settings(", "imports, read options"), ("import keras", "import TensorFlow, create layers"),
             ("load_solo(", "parse corpus, X, Y, render snippet"),
             ("def djmodel", "define djmodel"), ("model = djmodel", "build model, fit, save weights"),
             ("def music_inference_model", "define music_inference_model"),
             ("class SampleWithTemperature", "define the sampler"),
             ("inference_model = music_inference_model(", "build inference model"),
             ("def predict_and_sample", "define predict_and_sample"),
             ("results, indices = predict_and_sample(", "predict_and_sample, first sample"),
             ("generate_music(", "generate music, write MIDI"), ("write_lead_sheet(", "render audio, piano roll, lead sheet"),
             ("melody_metrics(", "report")]
    for marker, name in rules:
        if marker in source:
            return name
    return source.strip().splitlines()[0][:40]


def child(args):
    command = [sys.executable, __file__, *args]
    done = subprocess.run(command, env=ENV, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"bench: child {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def timed_child(args):
    began = time.perf_counter()
    result = child(args)
    result["wall_s"] = time.perf_counter() - began
    return result


def median(values):
    return statistics.median(values)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each part; medians are reported (default 3)")
    parser.add_argument("--epochs", type=int, default=100, help="epochs for the fit comparison and lstm.py (default 100)")
    parser.add_argument("--skip-fit", action="store_true", help="only time lstm.py's phases")
    parser.add_argument("--child", choices=["fit", "phases", "load"], help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "fit":
        return fit_both(args.epochs)
    if args.child == "phases":
        return run_phases(args.rest)
    if args.child == "load":
        return load_corpus()

    out = Path("/tmp") / "bench_output" / "my_music.midi"
    print(f"machine: {os.cpu_count()} cores; {args.repeats} repeats, medians\n")
    if not args.skip_fit:
        fits = [child(["--child", "fit", "--epochs", str(args.epochs)]) for _ in range(args.repeats)]
        print(f"Part 1: {args.epochs}-epoch fit, same X, Y and initial weights")
        print(f"{'':18}{'fit (s)':>10}{'1st epoch (s)':>15}{'final loss':>12}")
        for name in ("straightforward", "djmodel"):
            print(f"{name:18}{median([f[name]['fit_s'] for f in fits]):>10.2f}"
                  f"{median([f[name]['first_epoch_s'] for f in fits]):>15.2f}"
                  f"{median([f[name]['final_loss'] for f in fits]):>12.3f}")
        ratio = median([f["straightforward"]["fit_s"] / f["djmodel"]["fit_s"] for f in fits])
        loss_ratio = median([f["djmodel"]["final_loss"] / f["straightforward"]["final_loss"] for f in fits])
        print(f"speed-up: {ratio:.1f}x (target >= 4x); final loss djmodel/straightforward: "
              f"{loss_ratio:.2f} (target <= 1.10)\n")

    cold_args = ["--child", "phases", "--", "--epochs", str(args.epochs), "--out", str(out)]
    runs = []
    for _ in range(args.repeats):
        shutil.rmtree(CACHE, ignore_errors=True)  # every run a first run: nothing cached
        runs.append(timed_child(cold_args))
    shutil.rmtree(CACHE, ignore_errors=True)
    cold_load = child(["--child", "load"])["load_s"]
    warm_load = median([child(["--child", "load"])["load_s"] for _ in range(args.repeats)])
    names = [name for name, _ in runs[0]["phases"]]
    print("Part 2: python lstm.py, phase by phase (cells of lstm.py)")
    for index, name in enumerate(names):
        print(f"  {name:36}{median([r['phases'][index][1] for r in runs]):>8.2f} s")
    print(f"  {'total (cells)':36}{median([r['total_s'] for r in runs]):>8.2f} s")
    print(f"  {'process wall, incl. interpreter':36}{median([r['wall_s'] for r in runs]):>8.2f} s  (target <= 20 s)")
    print(f"  {'peak resident memory':36}{median([r['peak_mib'] for r in runs]):>8.0f} MiB (target <= 1536 MiB)")
    print(f"  {'corpus loading, cache warm':36}{warm_load:>8.2f} s  (target <= 0.2 s; "
          f"{cold_load:.2f} s with the cache cold)")


if __name__ == "__main__":
    main()
