"""The course's preprocessing: a piece of music turned into measures of grammar, then into the
corpus of values the model learns (get_musical_data, get_corpus_data).

Reading the piece (any MIDI, MusicXML or ABC file, or the course's own corpus exactly as the
course read it) is done by jazz_improv.corpus.load_solo.
"""

from jazz_improv.corpus import Options, load_solo

__all__ = ["get_musical_data", "get_corpus_data"]  # what the course's star import brings


def get_musical_data(data_fn, options=Options()):
    """Parse the corpus: a MIDI, MusicXML or ABC file, a folder of them, or a list.

    Returns:
        chords -- chord groups; chords[i] lists measure i's music21 Chords
                  (19 for the Metheny corpus; group 0 is the course's header and holds none)
        abstract_grammars -- one string per measure from 1 on (18 for the Metheny corpus),
                  e.g. "C,0.500 C,0.333,<P1,d-5> ..."
    """
    solo = load_solo(data_fn, options)
    return solo.chords, solo.abstract_grammars


def get_corpus_data(abstract_grammars):
    """Split the grammars into tokens and index the distinct values.

    Returns corpus (list of tokens), values (sorted list of distinct tokens),
    values_indices (token -> index) and indices_values (index -> token).
    The values are sorted so that the indices are the same on every run.
    """
    corpus = [token for grammar in abstract_grammars for token in grammar.split(" ")]
    values = sorted(set(corpus))
    values_indices = {value: index for index, value in enumerate(values)}
    indices_values = dict(enumerate(values))
    return corpus, values, values_indices, indices_values
