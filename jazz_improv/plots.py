"""Pictures of what the model learned and wrote: the training curve and a piano roll."""

from matplotlib.figure import Figure  # drawn to files by Agg, no pyplot and no display needed
from matplotlib.patches import Patch

from jazz_improv.audio import MELODY
from jazz_improv.safe_files import write_atomically

MELODY_COLOUR = "tab:orange"
CHORD_COLOUR = "tab:blue"


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


def plot_piano_roll(sounds, beats_per_bar, title="Piano roll"):
    """Figure with one bar per sounded note: melody and chords in their own colours.

    Arguments:
        sounds -- audio.Sound objects (start and length in quarter notes, MIDI pitch, role)
        beats_per_bar -- the metre's bar length in quarter notes: a grey line marks each bar
    """
    figure = Figure(figsize=(12, 4.5))
    ax = figure.subplots()
    # One collection per pitch and role: a bar per note would be slow to draw for long pieces.
    for is_melody, colour, alpha in ((False, CHORD_COLOUR, 0.5), (True, MELODY_COLOUR, 0.9)):
        for pitch in sorted({s.pitch for s in sounds if (s.role == MELODY) == is_melody}):
            bars = [(s.start, s.length) for s in sounds
                    if s.pitch == pitch and (s.role == MELODY) == is_melody]
            ax.broken_barh(bars, (pitch - 0.4, 0.8), facecolors=colour, alpha=alpha)
    end = max((s.start + s.length for s in sounds), default=beats_per_bar)
    for bar in range(int(end / beats_per_bar) + 1):
        ax.axvline(float(bar * beats_per_bar), color="grey", linewidth=0.5, alpha=0.5)
    ax.set_xlim(0, end)
    ax.set_xlabel(f"time (quarter notes; bar lines every {float(beats_per_bar):g})")
    ax.set_ylabel("MIDI pitch (60 = middle C)")
    ax.set_title(title)
    ax.legend(handles=[Patch(color=MELODY_COLOUR, label="melody"),
                       Patch(color=CHORD_COLOUR, alpha=0.5, label="chords")], loc="upper right")
    figure.tight_layout()
    return figure
