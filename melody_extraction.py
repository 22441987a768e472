"""A melody and chords from any pitched piece: pure functions on plain numbers.

preprocess reads a score with music21; these functions take what it reads as plain data
and turn any texture (a chorale, a piano rag, a lead sheet) into one melody line and
a chord progression. Only a piece with nothing pitched has no melody.

Data model, offsets and lengths are fractions.Fraction quarter notes throughout:
  event       (offset, length, pitches): pitches a tuple (or list) of MIDI ints,
              one for a note, several for a chord
  melody note (offset, length, pitch): pitch one MIDI int, or None for a rest

Every function sorts once and then makes linear passes, so its cost is O(n log n) in
the number of notes (plus the size of its output).
"""

from collections import Counter, defaultdict
from fractions import Fraction
from itertools import pairwise

MELODIC_RANGE = range(55, 89)  # G3 to E6: where melodies live
DROP = 12  # a skyline note more than an octave below both neighbours is accompaniment
SUBSTANTIAL = Fraction(1, 2)  # a part scoring at least half the best is a melody candidate


def events_of_part(part):
    """The notes and chords of a music21 part as events, in offset order.

    Returns [(offset, length, pitches)]: offset and length Fractions in quarter notes,
    pitches a tuple of MIDI ints (one for a Note, all of a Chord's). Chord symbols,
    unpitched (percussion) notes and zero-length grace notes are skipped; tied notes
    stay separate notes, as music21 stores them.
    """
    from music21 import harmony, note, percussion  # music21 only for the two readers

    events = []
    for element in part.flatten().notes:
        if isinstance(element, (harmony.ChordSymbol, note.Unpitched, percussion.PercussionChord)):
            continue
        # music21 keeps offsets as opFrac values (floats exact in binary, else Fractions),
        # so Fraction() of them is exact.
        length = Fraction(element.quarterLength)
        if length <= 0:
            continue
        pitches = tuple(p.midi for p in element.pitches)  # a Note's pitches are its one pitch
        if pitches:
            events.append((Fraction(element.offset), length, pitches))
    events.sort(key=lambda event: event[0])
    return events


def is_percussion(part):
    """True for a drum part: an unpitched-percussion instrument, MIDI channel 10, or unpitched notes."""
    from music21 import instrument, note, percussion

    if any(isinstance(i, instrument.UnpitchedPercussion) or i.midiChannel == 9
           for i in part.recurse().getElementsByClass(instrument.Instrument)):
        return True
    return any(isinstance(n, (note.Unpitched, percussion.PercussionChord)) for n in part.recurse().notes)


def _onsets(events):
    """[(offset, top pitch, longest length at that pitch)] per distinct onset, in order."""
    tops = {}
    for offset, length, pitches in events:
        if length <= 0 or not pitches:
            continue
        top = max(pitches)
        best = tops.get(offset)
        if best is None or (top, length) > best:
            tops[offset] = (top, length)
    return [(offset, top, length) for offset, (top, length) in sorted(tops.items())]


def skyline(events, drop=DROP):
    """The melody of a (possibly polyphonic) part by the skyline rule.

    events: [(offset, length, pitches)]. Returns [(offset, length, pitch)], strictly
    monophonic (offsets strictly increasing, no overlaps), without rests.

    Rules, after Uitdenbogerd & Zobel's "all-mono" skyline, with one refinement:
    - at each onset the highest pitch starting there is the candidate (if it starts
      several times there, the longest copy);
    - a candidate lower than the melody note still sounding, and ending no later than
      it, is accompaniment under a held melody note and is skipped (a left-hand chord
      under a right-hand half note); a lower note that outlasts the held note (a legato
      overlap in a performance) is melody and cuts it;
    - a note sounds until its own end or the next melody onset, whichever comes first;
    - a note more than `drop` semitones below both the previous kept note and the next
      note is not melody (a bass note heard while the tune rests) and is removed; the
      previous note then sounds on up to its own end. The first and last notes have one
      neighbour and are always kept. drop=None keeps every note.
    """
    line = []  # (offset, pitch, own end)
    for offset, top, length in _onsets(events):
        if line:
            _, held_pitch, held_end = line[-1]
            if top < held_pitch and offset + length <= held_end:
                continue
        line.append((offset, top, offset + length))
    if drop is not None and len(line) > 2:
        kept = [line[0]]
        for current, following in pairwise(line[1:]):
            if not (current[1] < kept[-1][1] - drop and current[1] < following[1] - drop):
                kept.append(current)
        line = kept + [line[-1]]
    # Cut each note at the next onset only now, so a removed note cuts nothing.
    ends = [min(end, after[0]) for (_, _, end), after in pairwise(line)] + [e for _, _, e in line[-1:]]
    return [(offset, end - offset, pitch) for (offset, pitch, _), end in zip(line, ends)]


def with_rests(melody, start=None):
    """The melody with each gap filled by a rest: [(offset, length, pitch or None)].

    melody: [(offset, length, pitch)], monophonic and in order (as skyline returns it).
    start: where the line begins (e.g. the first bar's downbeat); a gap before the
    first note is filled from there. The result covers start .. last note's end.
    """
    filled = []
    position = melody[0][0] if start is None and melody else start
    for offset, length, pitch in melody:
        if position is not None and offset > position:
            filled.append((position, offset - position, None))
        filled.append((offset, length, pitch))
        position = offset + length
    return filled


def part_profile(events):
    """What makes a part a melody: (score, mean pitch) of its skyline, or None if it has no notes.

    events: [(offset, length, pitches)] of one part. score = (skyline notes in
    MELODIC_RANGE) x monophony squared, where monophony is the share of the part's
    notes (a chord's pitches counted one by one) that the skyline keeps: 1 for a
    single line, 1/3 for three-note chords. Squared, so that a chordal accompaniment
    needs many times a tune's notes to compete with it (nine times, with triads).
    """
    line = skyline(events)
    if not line:
        return None
    total = sum(len(pitches) for _, length, pitches in events if length > 0)
    in_range = sum(pitch in MELODIC_RANGE for _, _, pitch in line)
    mean_pitch = Fraction(sum(pitch for _, _, pitch in line), len(line))
    return in_range * Fraction(len(line), total) ** 2, mean_pitch


def pick_melodic_part(parts_events, percussion=None, substantial=SUBSTANTIAL):
    """Index of the most melodic part, or None when no part has pitched notes.

    parts_events: one [(offset, length, pitches)] list per part; percussion: optional
    flags, one per part, True for parts to skip (drums).
    Each part is scored by part_profile. Parts scoring at least `substantial` times the
    best score are candidates and the highest of them (mean skyline pitch) wins: so a
    chorale's soprano beats an alto with more passing notes, and a single-line tune
    beats a chordal accompaniment (whose score is cut by its low monophony). When no
    part has notes in the melodic range, every pitched part is a candidate. Ties go to
    the earlier part.
    """
    profiles = {}
    for index, events in enumerate(parts_events):
        if percussion is not None and percussion[index]:
            continue
        profile = part_profile(events)
        if profile is not None:
            profiles[index] = profile
    if not profiles:
        return None
    best = max(score for score, _ in profiles.values())
    candidates = [i for i, (score, _) in profiles.items() if score >= substantial * best]
    return max(candidates, key=lambda i: (profiles[i][1], -i))


def accompaniment(events, melody):
    """The part's events without the melody's notes: what sounds under the tune.

    events: [(offset, length, pitches)] of one part; melody: [(offset, length, pitch)]
    taken from it (by skyline). Each melody note removes one pitch: the same pitch at
    the same offset, from the longest event holding it there (the copy skyline chose).
    Returns the remaining events in input order, pitches as tuples; an event left
    without pitches is dropped. Rests in the melody are ignored.
    """
    wanted = Counter((offset, pitch) for offset, _, pitch in melody if pitch is not None)
    holders = defaultdict(list)  # (offset, pitch) -> [(length, -index)] of events holding it
    for index, (offset, length, pitches) in enumerate(events):
        for pitch in set(pitches):
            if (offset, pitch) in wanted:
                holders[offset, pitch].append((length, -index))
    remove = defaultdict(list)  # event index -> pitches to take out
    for key, held in holders.items():
        for _, negative_index in sorted(held, reverse=True)[:wanted[key]]:
            remove[-negative_index].append(key[1])
    remaining = []
    for index, (offset, length, pitches) in enumerate(events):
        pitches = list(pitches)
        for pitch in remove.get(index, ()):
            pitches.remove(pitch)
        if pitches:
            remaining.append((offset, length, tuple(pitches)))
    return remaining


def harmony_events(parts_events, beats_per_bar, unit=Fraction(1)):
    """Chords of the given parts, one per unit of time, like music21's chordify but coarser.

    parts_events: lists of [(offset, length, pitches)] (the parts other than the
    melody, or accompaniment() of a piano part); beats_per_bar: the bar's length in
    quarter notes; unit: the chord grid in quarter notes, counted from each bar line
    (1 = every beat; beats_per_bar = one chord per bar; a bar that is not a whole
    number of units ends with a shorter unit).
    Returns [(offset, length, pitches)] with pitches a sorted tuple of distinct MIDI
    ints, in order, contiguous from the first chord to the end of the last unit
    with sound.

    A unit's chord is every pitch sounding at any time in it (held from before, or
    starting within it), so passing notes count too. A unit with fewer than two pitch
    classes (one note, an octave, silence) is no chord and continues the previous
    chord; before the first real chord there is none. Consecutive units with the same
    pitches merge into one longer chord, across bar lines too.
    """
    beats_per_bar, unit = Fraction(beats_per_bar), Fraction(unit)
    per_bar = -(-beats_per_bar // unit)  # units in a bar, the last maybe shorter

    def index_at(offset):
        """The unit holding offset, and whether offset is that unit's start."""
        bar, inside = divmod(offset, beats_per_bar)
        step, rest = divmod(inside, unit)  # step < per_bar, as inside < beats_per_bar
        return int(bar) * per_bar + int(step), not rest

    def start_of(index):
        bar, step = divmod(index, per_bar)
        return bar * beats_per_bar + step * unit

    # Sweep over the units where the set of sounding notes changes, not over every unit,
    # so a long pedal note or a long silence costs nothing extra.
    changes = defaultdict(list)  # unit index -> [(pitch, +1 or -1)]
    for events in parts_events:
        for offset, length, pitches in events:
            if length <= 0:
                continue
            first, _ = index_at(offset)
            last, on_start = index_at(offset + length)
            last -= on_start  # a note ending on a unit's first instant is not in it
            for pitch in pitches:
                changes[first].append((pitch, 1))
                changes[last + 1].append((pitch, -1))
    indices = sorted(changes)
    starts = [start_of(index) for index in indices]
    chords, sounding = [], Counter()  # chords: [(offset, pitches)], each lasting until the next
    # The last change only silences notes: the stretch before it is the last to look at.
    for index, start in zip(indices[:-1], starts):
        for pitch, step in changes[index]:
            sounding[pitch] += step
            if not sounding[pitch]:
                del sounding[pitch]
        pitches = tuple(sorted(sounding))
        # Fewer than two pitch classes, or the same chord again: the previous chord goes on.
        if len({p % 12 for p in pitches}) >= 2 and not (chords and chords[-1][1] == pitches):
            chords.append((start, pitches))
    ends = [start for start, _ in chords[1:]] + starts[-1:]
    return [(start, end - start, pitches) for (start, pitches), end in zip(chords, ends)]
