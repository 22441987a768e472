"""The improvisation as a MIDI file, written whole or not at all."""

from music21 import midi

from jazz_improv.safe_files import write_atomically

TEMPO_BPM = 130  # the improvisation's tempo, written into its MIDI file and used for its audio


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
