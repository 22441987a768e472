"""The improvisation as a MIDI file, written whole or not at all."""

from fractions import Fraction

from music21 import meter, midi

from jazz_improv.safe_files import write_atomically

TEMPO_BPM = 130  # the improvisation's tempo, written into its MIDI file and used for its audio


def time_signature(beats_per_bar):
    """The music21 TimeSignature of a bar of beats_per_bar quarter notes: 3 is 3/4, 5/2 is 5/8
    (a bar's length alone cannot tell 6/8 from 3/4: it is 3/4)."""
    bar = Fraction(beats_per_bar)
    unit = 4 * bar.denominator
    return meter.TimeSignature(f"{bar * unit / 4}/{unit}")


def write_midi(score, path):
    """Write a music21 stream to a MIDI file, whole or not at all."""
    def write(temporary):
        midi_file = midi.translate.streamToMidiFile(score)
        midi_file.open(temporary, "wb")
        try:
            midi_file.write()
        finally:
            midi_file.close()

    write_atomically(path, write)
