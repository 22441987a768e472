"""Clean-up rules applied to generated grammar and notes before they are written."""

import math
import random

from music21 import note

__all__ = ["prune_grammar", "prune_notes", "clean_up_notes"]  # what the course's star import brings


def _round_to_grid(value, grid, up):
    """Round down, or up, to a multiple of grid (a value already on the grid stays)."""
    steps = value / grid
    return grid * (math.ceil(steps - 1e-9) if up else math.floor(steps + 1e-9))


def prune_grammar(curr_grammar, rng=random):
    """Snap every token's length to the sixteenth-note grid, rounding up or down at random.

    Arguments:
        curr_grammar -- space-separated grammar tokens, e.g. "C,0.333,<m2,P-4> S,0.667"
        rng -- a random.Random that chooses the rounding direction of each token
    Returns:
        the grammar string with lengths such as 0.25, 0.5, 0.75 ...
    """
    pruned = []
    for token in curr_grammar.split(" "):
        terms = token.split(",")
        terms[1] = str(_round_to_grid(float(terms[1]), 0.25, up=rng.choice([-1, 1]) > 0))
        pruned.append(",".join(terms))
    return " ".join(pruned)


def prune_notes(curr_notes, tie=False):
    """Drop a note that repeats the pitch of the note just before it.

    Arguments:
        curr_notes -- Notes and Rests in time order (a stream.Voice or a list)
        tie -- instead, the note before lasts on to the repeat's end (a tie), so that no
               silence is left where the repeat was
    Returns:
        a list of the elements kept, in the same order
    """
    kept = []
    for element in curr_notes:
        previous = kept[-1] if kept else None
        if (
            isinstance(element, note.Note)
            and isinstance(previous, note.Note)
            and element.nameWithOctave == previous.nameWithOctave
        ):
            if tie:
                previous.quarterLength = max(previous.quarterLength,
                                             element.offset + element.quarterLength - previous.offset)
            continue
        kept.append(element)
    return kept


def clean_up_notes(curr_notes, tie=False):
    """Give zero-length notes a sixteenth and keep one melody note per offset.

    Dropping a note can leave its neighbours on the same pitch, so repeats are
    pruned once more at the end (tied, with tie: see prune_notes).

    Arguments:
        curr_notes -- Notes and Rests in time order
        tie -- see prune_notes
    Returns:
        a list of the elements kept
    """
    kept = []
    for element in curr_notes:
        if element.quarterLength == 0.0:
            element.quarterLength = 0.25
        if kept and isinstance(element, note.Note) and element.offset == kept[-1].offset:
            continue
        kept.append(element)
    return prune_notes(kept, tie)
