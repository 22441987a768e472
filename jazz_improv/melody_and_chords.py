"""A melody and chords from any pitched piece, then its measures.

piece_files reads a score; these functions take what it reads as plain data and turn any
texture (a chorale, a piano rag, a lead sheet) into one melody line and a chord progression
(melody_and_harmony), then into the measures of notes and chords the grammar reads
(bars_and_chords). Only a piece with nothing pitched has no melody.

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
from statistics import median_low

from jazz_improv.chord_symbols import progression_events
from jazz_improv.console import InputError, quoted
from jazz_improv.events import Event, MelodyNote, make_chord, make_note
from jazz_improv.limits import MAX_TOKEN_LENGTH

MELODIC_RANGE = range(55, 89)  # G3 to E6: where melodies live
DROP = 12  # a skyline note more than an octave below both neighbours is accompaniment
SUBSTANTIAL = Fraction(1, 2)  # a part scoring at least half the best is a melody candidate
# A part whose skyline keeps this share of its notes is one line already; below it, it plays
# chords or voices, and a low note far under the tune is accompaniment (DROP).
SINGLE_LINE_SHARE = Fraction(4, 5)
# A part is the piece's chord part when at least this share of its events (notes and chords)
# are chords of two pitch classes or more: its chords are then taken as written, not beat by beat.
CHORD_PART_SHARE = Fraction(2, 3)
# Chord symbols are a piece's harmony only when they cover it: at least one for every
# SYMBOL_BARS bars of its melody, and no stretch without a new one longer than HELD_BARS bars
# and HELD_TIMES times the piece's usual stretch (its harmonic rhythm). A madrigal with three
# symbols in 88 bars, or a tune whose symbols stop halfway, takes its harmony from its parts.
SYMBOL_BARS = 4
HELD_BARS = 8
HELD_TIMES = 4


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


def _part_label(index, part):
    return f"{index} ({part.name})" if part.name else str(index)


def _find_parts(parts, wanted, what, where):
    """Indices of the parts named by index or (case-insensitive) name; where names the piece."""
    found = []
    for key in wanted:
        matches = [i for i, p in enumerate(parts) if key == str(i) or key.lower() == p.name.lower()]
        if not matches:
            listing = ", ".join(_part_label(i, p) for i, p in enumerate(parts))
            raise InputError(f"{where}: no part {quoted(key)} for {what}; the parts are: {listing}")
        found.append(matches[0])
    return found


def in_section(texture, section):
    """The texture with only the events that start in measures first..last (counted as the
    score counts them: from 1, or from 0 after a pickup)."""
    if section is None:
        return texture
    first, last = section
    start = (first - texture.first_bar) * texture.bar_length
    end = (last - texture.first_bar + 1) * texture.bar_length

    def kept(events):
        return [event for event in events if start <= event[0] < end]

    return texture._replace(parts=[part._replace(events=kept(part.events)) for part in texture.parts],
                            symbols=kept(texture.symbols))


def _chord_part(parts, melody_index):
    """Index of the part that plays chords, or None: a part other than the melody's in which at
    least CHORD_PART_SHARE of the events are chords of two pitch classes or more (of several
    such parts, the one with the most chords)."""
    best, best_count = None, 0
    for index, part in enumerate(parts):
        if index == melody_index or part.percussion or not part.events:
            continue
        count = sum(len({p % 12 for p in pitches}) > 1 for _, _, pitches in part.events)
        if count >= CHORD_PART_SHARE * len(part.events) and count > best_count:
            best, best_count = index, count
    return best


def symbols_gap(symbols, line, bar_length):
    """None when the chord symbols [Event] cover the melody line [(offset, length, pitch)]
    (SYMBOL_BARS, HELD_BARS, HELD_TIMES); else what they leave uncovered, in words."""
    start, end = line[0][0], line[-1][0] + line[-1][1]
    bars = max(round((end - start) / bar_length), 1)
    onsets = sorted({start, end} | {s.offset for s in symbols if start < s.offset < end})
    stretches = [b - a for a, b in pairwise(onsets)]
    longest = max(stretches)
    if len(symbols) * SYMBOL_BARS < bars or longest > max(HELD_BARS * bar_length, HELD_TIMES * median_low(stretches)):
        return (f"{len(symbols)} chord symbols for {bars} bars, "
                f"{float(longest / bar_length):.3g} bars without a new one")
    return None


def melody_and_harmony(texture, options, where):
    """The melody [MelodyNote] (one line, rests in its gaps), the chords [Event] of a piece,
    and a line to tell the user about its harmony, or None.

    Melody: the part --melody-part names, else the most melodic part
    (pick_melodic_part); its skyline, which drops notes far under the tune
    when the part plays chords or voices.
    Chords, the first of: the parts --chord-parts names, beat by beat; the piece's chord
    symbols when they cover it (symbols_gap); its chord part, as written; the other pitched
    parts and the notes under the melody in its own part, beat by beat; the chord symbols
    that do not cover it; the --chords progression.
    """
    parts = texture.parts
    span = f"measures {options.section[0]}:{options.section[1]}" if options.section else "the piece"
    if options.melody_part is not None:
        (melody_index,) = _find_parts(parts, [options.melody_part], "--melody-part", where)
    else:
        melody_index = pick_melodic_part([p.events for p in parts], [p.percussion for p in parts])
        if melody_index is None and options.section is None:
            raise InputError(f"{where}: no melodic part: nothing pitched (only drums, or no notes); "
                             "use a piece with a tune or chords")
    events = [] if melody_index is None else parts[melody_index].events  # None: an empty section
    line = skyline(events, drop=None)
    single_line = len(line) >= SINGLE_LINE_SHARE * sum(len(pitches) for _, _, pitches in events)
    if not single_line:
        line = skyline(events)
    if not line:
        raise InputError(f"{where}: {span} holds no melody notes; check --section and --melody-part")
    under = accompaniment(events, line)

    bar_length = texture.bar_length
    note = None
    gap = symbols_gap(texture.symbols, line, bar_length) if texture.symbols else None
    if options.chord_parts is not None:
        chosen = _find_parts(parts, options.chord_parts, "--chord-parts", where)
        sources = [under if index == melody_index else parts[index].events for index in chosen]
        chords = harmony_events(sources, bar_length, texture.beat)
    elif texture.symbols and gap is None:
        chords = texture.symbols
    elif (chord_part := _chord_part(parts, melody_index)) is not None:
        chords = [e for e in parts[chord_part].events if len({p % 12 for p in e[2]}) > 1]
    else:
        others = [p.events for i, p in enumerate(parts) if i != melody_index and not p.percussion]
        chords = harmony_events(others + [under], bar_length, texture.beat)
    if gap is not None and options.chord_parts is None:
        if chords:
            note = f"{where}: {gap}: its chords are taken from its parts instead"
        else:
            chords = texture.symbols  # nothing else sounds with the melody
    chords = [Event(*e) for e in chords]
    if not chords:
        if options.progression is None:
            raise InputError(f"{where}: no chords found (no chord symbols, and no other notes sound "
                             "with the melody); give them with --chords or --chord-parts")
        # The progression starts on the first full bar: a pickup takes its first chord too.
        first_bar = max(int(line[0][0] // bar_length), 1 - texture.first_bar)
        last_bar = max(int(line[-1][0] // bar_length), first_bar)
        chords = [Event(*e) for e in progression_events(options.progression, first_bar,
                                                        last_bar - first_bar + 1, bar_length)]
    melody = [MelodyNote(*n) for n in with_rests(line, start=line[0][0] // bar_length * bar_length)]
    return melody, chords, note


def bars_and_chords(melody, chord_events, bar_length):
    """Measures of the bars that hold melody notes, and for each the chords sounding in it.

    melody: [MelodyNote] in order, one line; chord_events: [Event]. A note or rest longer
    than MAX_TOKEN_LENGTH is cut to it, and one that crosses a bar line is split
    there (as a tie would split it). A bar where no chord starts on the downbeat takes the
    chord still sounding from before (or the piece's first chord), moved to the downbeat.
    Returns (measures, chords), index 0 the course's empty header; one pass over each list.
    """
    bars = {}  # bar index -> [MelodyNote], in order
    for offset, length, pitch in melody:
        end = offset + min(length, MAX_TOKEN_LENGTH)
        first, last = int(offset // bar_length), -int(-end // bar_length) - 1
        # A rest's middle bars hold nothing but the rest: they are not measures of the corpus.
        for bar in (range(first, last + 1) if pitch is not None else sorted({first, last})):
            start, stop = max(offset, bar * bar_length), min(end, (bar + 1) * bar_length)
            bars.setdefault(bar, []).append(MelodyNote(start, stop - start, pitch))

    chord_events = sorted(chord_events, key=lambda e: e.offset)
    measures, chords = [[]], [[]]
    next_chord, held = 0, None  # held: the last chord starting before the current bar
    for bar, notes in bars.items():
        if all(n.pitch is None for n in notes):
            continue
        bar_start, bar_end = bar * bar_length, (bar + 1) * bar_length
        while next_chord < len(chord_events) and chord_events[next_chord].offset < bar_start:
            held = chord_events[next_chord]
            next_chord += 1
        after = next_chord
        while after < len(chord_events) and chord_events[after].offset < bar_end:
            after += 1
        starting = chord_events[next_chord:after]
        if not starting or starting[0].offset > bar_start:
            pitches = (held or chord_events[0]).pitches
            until = starting[0].offset if starting else bar_end
            starting.insert(0, Event(bar_start, until - bar_start, pitches))
        measures.append([make_note(*n) for n in notes])
        chords.append([make_chord(*e) for e in starting])
    return measures, chords
