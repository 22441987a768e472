"""Every bound on what a run reads or makes, in one place, so that messages and README agree."""

from pathlib import Path

# What a corpus may be: the course's file (downloaded if missing), files with these suffixes
# or a folder of them, or music21:NAME, a piece of music21's bundled corpus.
CORPUS_PATH = Path("data/original_metheny.mid")
CORPUS_SUFFIXES = (".mid", ".midi", ".xml", ".musicxml", ".mxl", ".abc")
MUSIC21_PREFIX = "music21:"

# Training windows of 30 values: (2,000, 30, n_values) float32 arrays are 240 kB per value for X,
# as much for Y.
MAX_WINDOWS = 2_000
# Notes a piece may hold (in its --section, if one is given), counted once the file is read,
# before its melody and chords are worked out.
MAX_NOTES = 200_000
# --bars: the audio of a piece stays under about 50 MB.
MAX_BARS = 256
# Phrases improvised over a corpus's chord groups unless --bars says: as many as the course
# plays over its corpus (about 40 s), whatever the corpus's length.
DEFAULT_PHRASES = 5
# ... each lasting at most this many quarter notes, rounded up to whole bars (four bars of 4/4,
# as Metheny's phrases last): five make about 40 s at the improvisation's tempo.
PHRASE_QUARTERS = 16
# A piece's length over --chords unless --bars says.
DEFAULT_BARS = 16
# Distinct values a model learns (a corpus's, or a saved vocabulary's), and training windows
# times values: X and Y hold 240 bytes for each (window, value), so 2,000,000 make 480 MB (the
# default number of windows is cut to fit). Then a saved vocabulary's file size and its notes
# counted per pitch class.
MAX_VALUES = 2_000
MAX_WINDOW_VALUES = 2_000_000
MAX_VOCABULARY_BYTES = 1 << 20
MAX_PITCH_CLASS_COUNT = 10 ** 9
# ... and its rhythm's onset gaps: rows of (length, position in the beat, gap), each in twelfths
# of a quarter note; a corpus of 200,000 notes has a few thousand.
MAX_ONSET_GAP_ROWS = 100_000
# ... and its melody's span in ticks, from its first note to the end of its last (far beyond
# any folder of pieces).
MAX_MELODY_SPAN_TICKS = 10 ** 12
# An entry of the preprocessing cache (far above any real entry).
MAX_CACHE_ENTRY_BYTES = 64 << 20
# A grammar token's length in quarter notes: four bars of 4/4, longer than any note a solo holds.
MAX_TOKEN_LENGTH = 16
# What a piece's file may state, checked before music21 builds anything from it (a metre of a
# million beats makes music21 build a million-beat bar): a time signature's numbers, a bar's
# length in quarter notes (32/4, or 16/2), a MusicXML duration in its divisions, and how far
# into the piece a note may end, in quarter notes (50,000 bars of 4/4).
MAX_METRE_NUMBER = 64
MAX_BAR_QUARTERS = 32
MAX_DIVISIONS = 1 << 20
MAX_DURATION_DIVISIONS = 1 << 40
MAX_PIECE_QUARTERS = 200_000
# A piece's file, checked before it is read: a MIDI file (200,000 notes take about 2 MB; mido
# reads 4 MB in about 20 s),
# a MusicXML or ABC file, an .mxl archive and everything it unpacks to (200,000 notes of
# MusicXML are about 60 MB), and the tunes of one ABC file (music21 reads 1,000 in about 13 s).
MAX_MIDI_BYTES = 4 << 20
MAX_SCORE_BYTES = 64 << 20
MAX_ABC_TUNES = 1_000
# ... and in one ABC file, the voices (V: names) and the metre changes (M: fields), each of
# which music21 turns into parts or measures far more slowly than notes.
MAX_ABC_VOICES = 32
MAX_ABC_METRES = 256
