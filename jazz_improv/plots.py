"""Pictures of what the model learned and wrote: the training curve and a piano roll."""

import math

from matplotlib.figure import Figure  # drawn to files by Agg, no pyplot and no display needed
from matplotlib.patches import Patch

from jazz_improv.audio import BASS, CHORDS, DRUMS, MELODY
from jazz_improv.safe_files import write_atomically

MELODY_COLOUR = "tab:orange"
CHORD_COLOUR = "tab:blue"
BASS_COLOUR = "tab:green"
NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
# Bars in one row of the piano roll: eight while a piece has at most ROW_BARS_LONG bars of them,
# else sixteen, so that a long piece still fits a picture and a bar stays wide enough to read.
ROW_BARS, ROW_BARS_LONG = 8, 16
ROW_INCHES = 2.4


# Drawn in this order, the melody last, so that it is never hidden: (role, colour, opacity, layer).
LAYERS = ((CHORDS, CHORD_COLOUR, 0.35, 1), (BASS, BASS_COLOUR, 0.6, 2), (MELODY, MELODY_COLOUR, 1.0, 3))


def save_figure(figure, path):
    write_atomically(path, lambda temporary: figure.savefig(temporary, format="png", dpi=110))


def plot_loss(losses):
    """Figure of the training loss per epoch (losses: list of floats, one per epoch)."""
    figure = Figure(figsize=(7, 4))
    ax = figure.subplots()
    ax.plot(range(1, len(losses) + 1), losses, marker="." if len(losses) < 30 else None)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (sum over the 30 outputs)")
    ax.set_title("Training loss")
    ax.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def note_name(midi_pitch):
    """"C4" for 60: the pitch's name with its octave, flats as jazz charts write them."""
    return f"{NOTE_NAMES[midi_pitch % 12]}{midi_pitch // 12 - 1}"


def plot_piano_roll(sounds, beats_per_bar, title="Piano roll", chord_names=()):
    """Figure with one bar per sounded note, in rows of ROW_BARS bars (ROW_BARS_LONG for long
    pieces): chords under the melody, each chord's name above the row where it changes, bar
    numbers, and note names on the pitch axis.

    Arguments:
        sounds -- audio.Sound objects (start and length in quarter notes, MIDI pitch, role)
        beats_per_bar -- the metre's bar length in quarter notes: a grey line marks each bar
        chord_names -- (start in quarter notes, name) of each chord change, in time order
    """
    bar_length = float(beats_per_bar)
    end = max((s.start + s.length for s in sounds), default=bar_length)
    bars = max(1, math.ceil(end / bar_length - 1e-9))
    per_row = ROW_BARS if bars <= 8 * ROW_BARS else ROW_BARS_LONG
    rows = math.ceil(bars / per_row)
    sounds = [s for s in sounds if s.role != DRUMS]  # drum keys are no pitches
    pitches = [s.pitch for s in sounds] or [60]
    low, high = min(pitches) - 2, max(pitches) + 2
    figure = Figure(figsize=(12, 1.2 + ROW_INCHES * rows))
    axes = figure.subplots(rows, 1, squeeze=False)[:, 0]
    row_length = per_row * bar_length
    for row, ax in enumerate(axes):
        start, stop = row * row_length, (row + 1) * row_length
        shown = [s for s in sounds if s.start < stop and s.start + s.length > start]
        # chords first and pale, the melody over them with a dark edge: it never disappears
        for role, colour, alpha, layer in LAYERS:
            for pitch in sorted({s.pitch for s in shown if s.role == role}):
                spans = [(s.start, s.length) for s in shown if s.pitch == pitch and s.role == role]
                ax.broken_barh(spans, (pitch - 0.4, 0.8), facecolors=colour, alpha=alpha, zorder=layer,
                               edgecolors="saddlebrown" if role == MELODY else "none", linewidth=0.4)
        for bar in range(row * per_row, min(bars, (row + 1) * per_row) + 1):
            ax.axvline(bar * bar_length, color="grey", linewidth=0.6, alpha=0.6, zorder=0)
            if bar < bars:
                ax.text(bar * bar_length + 0.05, 1.0, str(bar + 1), transform=ax.get_xaxis_transform(),
                        fontsize=7, color="dimgrey", va="bottom", ha="left")
        for index, (when, name) in enumerate(chord_names):
            if start <= when < stop:  # every other name a line lower, so close changes stay apart
                # unclipped: a name near the row's end runs on into the margin rather than being cut
                ax.text(when + 0.05, 0.97 - 0.09 * (index % 2), name, transform=ax.get_xaxis_transform(),
                        fontsize=8, fontweight="bold", color="navy", va="top", ha="left", zorder=4, clip_on=False)
        ax.set_xlim(start, stop)
        ax.set_ylim(low, high + (high - low) * 0.3)  # room above the notes for the chord names
        octaves = [p for p in range(math.ceil(low), math.floor(high) + 1) if p % 12 in (0, 7)]
        ax.set_yticks(octaves, [note_name(p) for p in octaves], fontsize=8)
        ax.set_xticks([bar * bar_length for bar in range(row * per_row, (row + 1) * per_row + 1)])
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(axis="y", color="lightgrey", linewidth=0.4, zorder=0)
    axes[-1].set_xlabel(f"time (quarter notes; {float(beats_per_bar):g} to a bar, bars numbered)")
    figure.suptitle(title)
    roles = {s.role for s in sounds} | {MELODY, CHORDS}
    figure.legend(handles=[Patch(color=colour, alpha=alpha, label=role) for role, colour, alpha, _ in LAYERS[::-1]
                           if role in roles], loc="upper right", ncols=3, frameon=False)
    figure.tight_layout(rect=(0, 0, 1, 1 - 0.5 / (1.2 + ROW_INCHES * rows)))
    return figure
