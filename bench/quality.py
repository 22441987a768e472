"""Quality benchmark: how much the improvisations sound like their corpus, seed after seed.

    python bench/quality.py              # Metheny and two lead sheets, seeds 0-4, 4 temperatures
    python bench/quality.py --compare    # before (register=None) and after (the corpus's register)
    python bench/quality.py --help

For each corpus, in a fresh process, it trains the course's model once exactly as lstm.py does
(seed 0, lstm.djmodel, the same optimiser, batches of 30), then improvises with lstm's
music_inference_model, predict_and_sample and data_utils.generate_music once per temperature
and seed. Each improvisation plays the course's number of phrases for its corpus, a phrase for
every third chord group (five for Metheny's, 11 and 10 for the lead sheets), so that it meets
more of a long tune's harmony than lstm.py's default five phrases do. Each improvisation is
measured against its corpus with report.quality_row: lowest and highest MIDI pitch, share
of notes more than a minor third outside the corpus's range, share of steps larger than a
fifth, mean absolute step in semitones, and the overlap (0 to 1) of its pitch-class, step-size
and note-length histograms with the corpus's. Each table has one row
per seed, the median of every column over the seeds, and the corpus measured against itself.

The targets, per corpus and temperature:
  - no note of any seed more than a minor third outside the corpus's range;
  - median share of steps larger than a fifth at most twice the corpus's share, or its share
    plus 3 points if that is larger;
  - median mean absolute step between 0.7 and 1.4 times the corpus's;
  - median pitch-class overlap at least 0.8 and median note-length overlap at least 0.6.

"Before" generates with register=None, the course's rules (no ceiling on the melody, approach
tones played as chord tones); "after", the default, passes the corpus's register and
pitch-class counts (solo.register, solo.pitch_classes) as lstm.py does. Both use the same
trained weights and the same seeds, so the values the model picks are the same and only the
grammar's rules differ. Exit status: 0 when every target of the measured mode is met (with
--compare, the "after" mode), 1 when one is not, 2 when a run fails. MIDI files go to a
temporary folder.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
DEFAULT_CORPORA = ["data/original_metheny.mid", "music21:leadSheet/fosterBrownHair",
                   "music21:leadSheet/berlinAlexandersRagtime"]
TX, N_A, TY = 30, 64, 50  # lstm.py's sizes
MODES = {"before": "register=None, the course's rules", "after": "the corpus's register, ours"}


def run_corpus(corpus, epochs, seeds, temperatures, modes):
    """Child process: train on one corpus, improvise for every mode, temperature and seed; print JSON."""
    import contextlib
    import tempfile

    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    import numpy as np
    import keras
    import tensorflow as tf

    import lstm
    from data_utils import generate_music, load_music_utils
    from preprocess import get_corpus_data
    from jazz_improv import report
    from jazz_improv.corpus import corpus_file, load_solo, solo_timeline

    # As lstm.py does when run as a script: the graph optimiser costs more than it saves here.
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    path = corpus_file(corpus)
    solo = load_solo(path)
    X, Y, n_values, indices_values = load_music_utils(path, Tx=TX)
    corpus_metrics = report.melody_metrics(*solo_timeline(solo), solo.beats_per_bar)
    corpus_values = get_corpus_data(solo.abstract_grammars)[0]

    # lstm.py seeds, then creates the shared layers for its corpus's n_values; rebinding the
    # module's names is what the notebook does for another corpus. Fresh layers every time, so
    # the weights start as `python lstm.py --midi CORPUS` starts them.
    keras.utils.set_random_seed(0)
    lstm.n_values = n_values
    lstm.reshapor = keras.layers.Reshape((1, n_values))
    lstm.LSTM_cell = lstm.StepLSTM(N_A, return_state=True)
    lstm.densor = keras.layers.Dense(n_values, activation="softmax")
    began = time.perf_counter()
    model = lstm.djmodel(Tx=TX, n_a=N_A, n_values=n_values)
    model.compile(optimizer=lstm.Adam(learning_rate=lstm.InverseTimeDecay(0.01, decay_steps=1, decay_rate=0.01),
                                      beta_1=0.9, beta_2=0.999),
                  loss="categorical_crossentropy", jit_compile=False)
    zeros = np.zeros((X.shape[0], N_A))
    history = model.fit([X, zeros, zeros], list(Y), epochs=epochs, batch_size=30, verbose=0)
    train_s = time.perf_counter() - began

    registers = {"before": None, "after": tuple(solo.register)}
    pitch_classes = {"before": None, "after": solo.pitch_classes}
    rows = {mode: {} for mode in modes}
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder, open(os.devnull, "w") as devnull:
        for temperature in temperatures:
            # One sampling model per temperature: building it and tracing its first prediction
            # take 1-3 s, the rest of an improvisation about 1 s.
            chooser = lstm.SampleWithTemperature(lstm.densor, temperature) if temperature else lstm.densor
            inference = lstm.music_inference_model(lstm.LSTM_cell, chooser, n_values=n_values, n_a=N_A, Ty=TY)
            samplers = [layer for layer in inference.layers if isinstance(layer, lstm.SampleWithTemperature)]
            for seed in seeds:
                for mode in modes:
                    # Seeded for each improvisation, and the sampler's state put back to the one
                    # a model built just after set_random_seed(seed) starts from (a fresh
                    # SeedGenerator draws it the same way): the same values as rebuilding the
                    # model, so before and after differ only by the grammar's rules.
                    keras.utils.set_random_seed(seed)
                    for sampler in samplers:
                        sampler.seed_generator.state.assign(keras.random.SeedGenerator().state)
                    phrases = []
                    with contextlib.redirect_stdout(devnull):  # generate_music reports each phrase
                        score = generate_music(inference, indices_values, solo.chords, lstm.predict_and_sample,
                                               out_path=Path(folder) / f"{mode}_{temperature}_{seed}.midi",
                                               seed=seed, beats_per_bar=solo.beats_per_bar,
                                               register=registers[mode],
                                               pitch_classes=pitch_classes[mode], rhythm=solo.rhythm,
                                               phrases=max(len(solo.chords) // 3 - 1, 1), values=phrases)
                    generated = report.melody_metrics(score.parts[0].flatten().notes,
                                                      list(score.parts[1].flatten().notes), solo.beats_per_bar)
                    generated |= report.originality(phrases, corpus_values)
                    rows[mode].setdefault(str(temperature), []).append(report.quality_row(corpus_metrics, generated))
    print(json.dumps({"corpus": corpus, "note_count": corpus_metrics["note_count"], "n_values": n_values,
                      "register": list(solo.register), "train_s": train_s, "generate_s": time.perf_counter() - began,
                      "final_loss": history.history["loss"][-1],
                      "reference": report.quality_row(corpus_metrics, corpus_metrics), "rows": rows}))


def child(args):
    done = subprocess.run([sys.executable, __file__, *args], env=ENV, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        print(f"quality: child {' '.join(args)} failed:\n{done.stderr[-3000:]}", file=sys.stderr)
        sys.exit(2)
    return json.loads(done.stdout.strip().splitlines()[-1])


def median_row(rows):
    """The median of each column over the seeds (None where no seed has a value); of pitches,
    the lower middle one, so that it stays a MIDI pitch."""
    middle = {}
    for key in rows[0]:
        values = [row[key] for row in rows if row[key] is not None]
        if not values:
            middle[key] = None
        else:
            middle[key] = (statistics.median_low if all(isinstance(v, int) for v in values) else statistics.median)(values)
    return middle


def check(rows, reference, register, rhythm_targets=False):
    """[(target met, reason)] for one corpus, temperature and mode. A melody without notes has
    no measures (None): it meets no target. rhythm_targets: check_rhythm's too."""
    middle = median_row(rows)

    def shown(value, fmt):
        return "-" if value is None else fmt.format(value)

    results = []
    worst = max(range(len(rows)), key=lambda i: rows[i]["outside_by_minor_third_share"] or 0)
    outside = rows[worst]["outside_by_minor_third_share"] or 0
    span = f"{register[0]}-{register[1]}"
    results.append((outside == 0, f"no note > a minor third outside {span}" if outside == 0 else
                    f"{outside:.1%} of notes > a minor third outside {span} "
                    f"(worst: seed {worst}, {rows[worst]['lowest']}-{rows[worst]['highest']})"))

    limit = max(2 * reference["step_over_fifth_share"], reference["step_over_fifth_share"] + 0.03)
    leaps = middle["step_over_fifth_share"]
    met = leaps is not None and leaps <= limit
    over = "" if met or leaps is None else f" (over by {100 * (leaps - limit):.2f} points)"
    results.append((met, f"steps > a fifth {shown(leaps, '{:.1%}')} {'<=' if met else '>'} {limit:.1%}{over}"))

    low, high = 0.7 * reference["mean_abs_step"], 1.4 * reference["mean_abs_step"]
    step = middle["mean_abs_step"]
    met = step is not None and low <= step <= high
    off = "" if met or step is None else f" ({step - high:.2f} above)" if step > high else f" ({low - step:.2f} below)"
    results.append((met, f"mean step {shown(step, '{:.2f}')} {'in' if met else 'outside'} {low:.2f}-{high:.2f}{off}"))

    for key, name, floor in (("pitch_class_overlap", "pc overlap", 0.8), ("duration_overlap", "len overlap", 0.6)):
        value = middle[key]
        met = value is not None and value >= floor
        # the shortfall too: a median of 0.7998 reads 0.800 even with three decimals
        short = "" if met or value is None else f" (short by {floor - value:.4f})"
        results.append((met, f"{name} {shown(value, '{:.3f}')} {'>=' if met else '<'} {floor}{short}"))
    if rhythm_targets:
        results += check_rhythm(rows, middle, reference)
    return results


def check_rhythm(rows, middle, reference):
    """[(target met, reason)] of the rhythm, harmony and phrase targets (issue 16), on the medians."""
    results = []

    def at_least(key, name, factor, fmt):
        value, floor = middle[key], factor * (reference[key] or 0)
        met = value is not None and value >= floor - 1e-12
        results.append((met, f"{name} {'-' if value is None else fmt.format(value)} "
                             f"{'>=' if met else '<'} {fmt.format(floor)}"))

    at_least("triplet_onset_share", "triplet onsets", 0.5, "{:.1%}")
    at_least("gap_entropy", "gap entropy", 0.7, "{:.2f}")
    silence, low, high = middle["silence_share"], 0.5 * reference["silence_share"], 1.5 * reference["silence_share"]
    met = silence is not None and low <= silence <= high
    results.append((met, f"silence {'-' if silence is None else f'{silence:.1%}'} "
                         f"{'in' if met else 'outside'} {low:.1%}-{high:.1%}"))
    tones, corpus_tones = middle["chord_tone_share"], reference["chord_tone_share"]
    met = tones is not None and abs(tones - corpus_tones) <= 0.08
    results.append((met, f"chord tones {'-' if tones is None else f'{tones:.1%}'} "
                         f"{'within' if met else 'beyond'} 8 points of {corpus_tones:.1%}"))
    at_least("harmony_change_share", "bars changing chords", 0.75, "{:.1%}")
    repeated = [seed for seed, row in enumerate(rows) if row["distinct_phrase_share"] != 1]
    results.append((not repeated, "no two phrases alike" if not repeated else
                    f"phrases repeated (seeds {', '.join(map(str, repeated))})"))
    return results


def verdict(results):
    failed = [reason for met, reason in results if not met]
    return ("PASS" if not failed else "FAIL") + (": " + "; ".join(failed) if failed else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="Exit status: 0 when every target is met (with --compare, those of "
                                            "the 'after' mode), 1 when one is not, 2 when a run fails.")
    parser.add_argument("--epochs", type=int, default=100, help="training epochs per corpus (default 100)")
    parser.add_argument("--seeds", type=int, default=5, help="improvisations per temperature: seeds 0 .. N-1 (default 5)")
    parser.add_argument("--temperatures", default="0,0.5,0.8,1.0",
                        help="comma-separated sampling temperatures, 0 = the course's argmax (default 0,0.5,0.8,1.0)")
    parser.add_argument("--corpus", action="append",
                        help="a corpus as lstm.py's --midi takes it (file or music21:NAME); repeatable "
                             f"(default: {', '.join(DEFAULT_CORPORA)})")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--no-register", action="store_true",
                       help="generate with register=None, the course's rules (the 'before' state)")
    which.add_argument("--compare", action="store_true",
                       help="generate both ways and print before (register=None) and after (the corpus's register)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--modes", default="after", help=argparse.SUPPRESS)
    args = parser.parse_args()
    try:
        temperatures = [float(t) for t in args.temperatures.split(",")]
    except ValueError:
        parser.error(f"--temperatures takes numbers separated by commas, not {args.temperatures!r}")
    if args.epochs < 1 or args.seeds < 1 or min(temperatures) < 0:
        parser.error("--epochs and --seeds take 1 or more, --temperatures 0 or more")
    if args.child:
        return run_corpus(args.child, args.epochs, list(range(args.seeds)), temperatures, args.modes.split(","))

    sys.path.insert(0, str(ROOT))
    from jazz_improv import report  # imported here, so that --help answers at once

    modes = ["before", "after"] if args.compare else ["before"] if args.no_register else ["after"]
    started = time.perf_counter()
    print(f"machine: {os.cpu_count()} cores; {args.epochs} epochs, seeds 0-{args.seeds - 1}, "
          f"temperatures {args.temperatures}; {', '.join(f'{m} ({MODES[m]})' for m in modes)}")
    summary = []
    for corpus in args.corpus or DEFAULT_CORPORA:
        result = child(["--child", corpus, "--epochs", str(args.epochs), "--seeds", str(args.seeds),
                        "--temperatures", args.temperatures, "--modes", ",".join(modes)])
        register, reference = result["register"], result["reference"]
        print(f"\n=== {corpus}: {result['note_count']} notes, register {register[0]}-{register[1]}, "
              f"{result['n_values']} values; trained in {result['train_s']:.1f} s (final loss "
              f"{result['final_loss']:.2f}), {len(modes) * len(temperatures) * args.seeds} "
              f"improvisations in {result['generate_s']:.1f} s")
        for temperature in temperatures:
            print(f"\n--- temperature {temperature:g}")
            verdicts = []
            for mode in modes:
                rows = result["rows"][mode][str(temperature)]
                table = [(f"seed {seed}", row) for seed, row in enumerate(rows)]
                table += [("median", median_row(rows)), ("corpus", reference)]
                print(f"{mode} ({MODES[mode]}):")
                print(report.format_quality_rows(table))
                print(report.format_quality_rows(table, columns=report.RHYTHM_COLUMNS))
                results = check(rows, reference, register, rhythm_targets=mode == "after")
                verdicts.append((mode, verdict(results)))
                summary.append((corpus, temperature, mode, all(met for met, _ in results)))
            for mode, text in verdicts:
                print(f"targets, {mode}: {text}")

    print("\nSummary: targets met")
    corpora = args.corpus or DEFAULT_CORPORA
    width = max(len("corpus"), *map(len, corpora)) + 2
    print(f"{'corpus':{width}}{'T':>5}" + "".join(f"{mode:>8}" for mode in modes))
    for corpus in corpora:
        for temperature in temperatures:
            passed = {mode: met for c, t, mode, met in summary if c == corpus and t == temperature}
            print(f"{corpus:{width}}{temperature:>5g}" + "".join(f"{'PASS' if passed[m] else 'FAIL':>8}" for m in modes))
    print(f"\nwall time: {time.perf_counter() - started:.0f} s")
    judged = modes[-1]  # with --compare, "after": the state the project ships
    return 0 if all(met for _, _, mode, met in summary if mode == judged) else 1


if __name__ == "__main__":
    sys.exit(main())
