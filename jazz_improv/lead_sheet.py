"""The solo as a lead sheet: a MusicXML score that notation programs open (MuseScore, Finale,
Dorico), and the same engraved by Verovio as one SVG picture.

The score has the solo, with a chord symbol above each change, and the chords as played (and
with --band the bass line), in the piece's metre and tempo and the key music21 finds in it.
Notes of the key's scale are spelled as the key spells them, others as the scale of the chord
sounding spells them, and chromatic passing notes by their direction. Chord symbols are the
user's own with --chords, else named from the chord's pitches (chord_symbols.chord_name). Onsets
and lengths are written on the grid notation can show, each beat in sixteenths or in
eighth-note triplets; the MIDI file keeps the exact ones.
"""

import copy
import math
import re
from bisect import bisect_right
from fractions import Fraction
from pathlib import Path

from music21 import chord, clef, harmony, instrument, key, metadata, note, pitch, scale, stream, tempo, tie
from music21.stream import makeNotation
from music21.musicxml.m21ToXml import GeneralObjectExporter

from jazz_improv.band import BASS_ID
from jazz_improv.chord_symbols import ROOT_NAMES, chord_name, chord_root, chord_symbol_pitches
from jazz_improv.console import InputError
from jazz_improv.midi_output import TEMPO_BPM, time_signature
from jazz_improv.music_rules import spelled_note
from jazz_improv.safe_files import write_atomically

# The MusicXML kind of each quality chord_name gives (what a program that reads the file plays);
# the text shown is the symbol's own.
MUSICXML_KINDS = {"": "major", "m": "minor", "7": "dominant", "maj7": "major-seventh", "m7": "minor-seventh",
                  "6": "major-sixth", "m6": "minor-sixth", "m7b5": "half-diminished", "dim": "diminished",
                  "dim7": "diminished-seventh", "aug": "augmented", "sus4": "suspended-fourth",
                  "7sus4": "suspended-fourth", "mmaj7": "major-minor", "9": "dominant-ninth",
                  "maj9": "major-ninth", "m9": "minor-ninth", "69": "major-sixth", "7b9": "dominant",
                  "7#9": "dominant", "7#5": "augmented-seventh", "13": "dominant-13th", "m11": "minor-11th",
                  "5": "power"}
SYMBOL = re.compile(r"(?P<root>[A-G][b#♭♯]?)(?P<kind>.*?)(?:/(?P<bass>[A-G][b#♭♯]?))?")  # C6/9 has no bass
GRID = (4, 3)  # notation's grid: sixteenths and eighth-note triplets
PAGE_HEIGHT = 60_000  # Verovio's tallest page, in its units (a tenth of a staff space)


def _music21_pitch(name):
    return pitch.Pitch(name.replace("♭", "-").replace("b", "-").replace("♯", "#"))


def chord_symbol(figure, midi_pitches):
    """A music21 ChordSymbol that shows `figure` as written (root, the rest as its text, a
    slash bass) and carries the MusicXML kind of the pitches it stands for."""
    found = SYMBOL.fullmatch(figure)
    try:  # the kind of the chord the symbol names, its bass left out (Dm7/G is a minor seventh)
        without_bass = figure.rsplit("/", 1)[0] if found and found["bass"] else figure
        midi_pitches = chord_symbol_pitches(without_bass) or midi_pitches
    except InputError:
        pass
    named = SYMBOL.fullmatch(chord_name(tuple(midi_pitches)))
    if found is None:  # no root to show: the pitches' own name
        found = named
    quality = named["kind"] if named else ""
    symbol = harmony.ChordSymbol(root=_music21_pitch(found["root"]),
                                 bass=_music21_pitch(found["bass"]) if found["bass"] else None,
                                 kind=MUSICXML_KINDS.get(quality, "major"), kindStr=found["kind"])
    symbol.writeAsChord = False
    return symbol


def _spelling(the_key):
    """Pitch class -> a spelled name: the key's scale, else sharps in a sharp key, flats otherwise."""
    names = {p.pitchClass: p.name for p in the_key.getScale().getPitches()}
    for pitch_class in range(12):
        if pitch_class not in names:
            plain = pitch.Pitch(midi=60 + pitch_class)
            alter = plain.accidental.alter if plain.accidental else 0
            if the_key.sharps > 0 and alter < 0:
                plain = plain.getLowerEnharmonic()  # E- -> D#
            elif the_key.sharps <= 0 and alter > 0:
                plain = plain.getHigherEnharmonic()  # C# -> D-
            names[pitch_class] = plain.name
    return names


def _chord_spellings(chords, the_key):
    """A function from an offset to the spelling there, (pitch class -> name, the classes of the
    key's scale and the chord's): the key's names for the classes of its scale; for the others,
    the scale of the chord sounding (its root's Dorian for a minor chord, Mixolydian for a
    dominant, else major: C# over A7 in C major) where it holds them, else the key's sharps or
    flats (_spelling)."""
    key_names = _spelling(the_key)
    diatonic = {p.pitchClass for p in the_key.getScale().getPitches()}
    starts = [c.offset for c in chords]
    spellings = []
    for c in chords:
        pitches = tuple(p.midi for p in c.pitches)
        root = chord_root(pitches)
        classes = {p % 12 for p in pitches}
        minor, major = (root + 3) % 12 in classes, (root + 4) % 12 in classes
        kind = (scale.DorianScale if minor and not major else
                scale.MixolydianScale if major and (root + 10) % 12 in classes else scale.MajorScale)
        own = {p.pitchClass: p.name for p in kind(ROOT_NAMES[root].replace("b", "-")).getPitches()}
        spellings.append((key_names | {pc: name for pc, name in own.items() if pc not in diatonic},
                          diatonic | set(own)))

    def at(offset):
        index = bisect_right(starts, offset) - 1
        return spellings[index] if index >= 0 else (key_names, diatonic)

    return at


def _line(notes, chords_at):
    """(start, end, spelled pitch) of a line's notes: a class of the key or of the chord's scale
    spelled as chords_at gives it, another one (a chromatic passing or approach note) as a sharp
    when the line goes up from it and a flat when it goes down, as players read them."""
    spelled = []
    for n, following in zip(notes, notes[1:] + [None]):
        names, scale_classes = chords_at(n.offset)
        made = spelled_note(n.pitch.midi, names).pitch
        if n.pitch.midi % 12 not in scale_classes and following is not None and made.accidental is not None:
            rising = following.pitch.midi > n.pitch.midi
            if (made.accidental.alter < 0) == rising:  # a flat going up, a sharp going down
                made = made.getLowerEnharmonic() if rising else made.getHigherEnharmonic()
        spelled.append((n.offset, n.offset + n.quarterLength, made))
    return spelled


def lead_sheet(score, beats_per_bar, title="Your improvisation", the_key=None):
    """The lead sheet of a score from generate_music (melody part, then chord part), a music21
    Score: "Solo" (the melody, chord symbols above it), "Chords" and, with --band, "Bass";
    the_key spells it (None: piece_key's)."""
    melody = [n for n in score.parts[0].flatten().notes if isinstance(n, note.Note)]
    chords = [c for c in score.parts[1].flatten().notes if isinstance(c, chord.Chord)]
    the_key = the_key or piece_key(score)
    chords_at = _chord_spellings(chords, the_key)
    solo, comping = stream.Part(id="Solo"), stream.Part(id="Chords")
    for part, made, name in ((solo, instrument.ElectricGuitar(), "Solo"), (comping, instrument.Piano(), "Chords")):
        _name(made, name, part.id)
        part.insert(0, made)
        part.insert(0, time_signature(beats_per_bar))
        part.insert(0, key.KeySignature(the_key.sharps))
    solo.insert(0, tempo.MetronomeMark(number=TEMPO_BPM))
    # the melody's own clef: left to music21, the chord symbols' low pitches could make it a bass clef
    solo.insert(0, clef.bestClef(stream.Stream([note.Note(n.pitch.midi) for n in melody] or [note.Note("C5")])))
    # a note followed by less than an eighth's silence is written to the next onset, as
    # transcriptions write a line of short notes: eighths, not sixteenths and sixteenth rests
    notes = _line(melody, chords_at)
    notes = [(start, following[0] if following and following[0] - end < Fraction(1, 2) else end, what)
             for (start, end, what), following in zip(notes, [n for n in notes[1:]] + [None])]
    ends = [n.offset + n.quarterLength for n in melody] + [c.offset + c.quarterLength for c in chords]
    bar = Fraction(beats_per_bar)
    bar_end = math.ceil(Fraction(max(ends, default=bar)) / bar) * bar
    _write(solo, notes, lambda spelled: note.Note(spelled.nameWithOctave), bar_end, bar, graces=True)
    for at, figure, pitches in chord_changes(chords, the_key):
        solo.insert(at, chord_symbol(figure, pitches))
    _write(comping, [(c.offset, c.offset + c.quarterLength,
                      [spelled_note(p.midi, chords_at(c.offset)[0]).pitch for p in c.pitches]) for c in chords],
           lambda spelled: chord.Chord([p.nameWithOctave for p in spelled]), bar_end, bar)
    staves = [solo, comping]
    for part in score.parts[2:]:
        if part.id == BASS_ID:  # with --band: the bass line on its own staff; drums are not written
            bass = stream.Part(id="Bass")
            made = _name(instrument.AcousticBass(), "Bass", "Bass")
            bass.append([made, time_signature(beats_per_bar), key.KeySignature(the_key.sharps),
                         clef.Bass8vbClef()])  # a bass sounds an octave below where it is written
            _write(bass, _line(list(part.flatten().notes), chords_at),
                   lambda spelled: note.Note(spelled.nameWithOctave), bar_end, bar)
            staves.append(bass)
    sheet = stream.Score([_in_measures(part) for part in staves])
    sheet.insert(0, _metadata(title))
    return sheet


def _in_measures(part):
    """The part in measures, tied across bar lines, beamed, its tuplets bracketed: music21's
    makeNotation less its making of voices, which joins the rests _write laid beat by beat."""
    part.makeMeasures(inPlace=True)  # in place: a copy of every note costs seconds
    measured = part
    makeNotation.makeTies(measured, inPlace=True)
    measured.splitAtDurations(recurse=True)  # a rest music21 filled a measure with, in 5/8: 2 + 1/2
    makeNotation.makeAccidentalsInMeasureStream(measured)  # once a measure, none after a tie
    for measure in measured.getElementsByClass(stream.Measure):
        makeNotation.makeTupletBrackets(measure, inPlace=True)
    makeNotation.makeBeams(measured, inPlace=True)
    return measured


def _name(made, name, ident):
    """An instrument named for its staff, with fixed ids: music21 draws them at random, and the
    same music must give the same file."""
    made.partName = made.partAbbreviation = name
    made.partId, made.instrumentId = f"P-{ident}", f"I-{ident}"
    return made


def _metadata(title):
    made = metadata.Metadata()
    made.title = title
    return made


def piece_key(score):
    """The key music21 finds in a score's melody and chords (its first two parts); C major for
    none."""
    notes = [n for part in score.parts[:2] for n in part.flatten().notes]
    return stream.Stream(copy.deepcopy(notes)).analyze("key") if notes else key.Key("C")


def chord_changes(chords, the_key=None):
    """(offset, symbol, MIDI pitches) where the harmony changes, for chords in time order: the
    symbol a chord was written with (--chords), else its name (chord_symbols.chord_name), its
    root spelled as the_key spells it (C# in A major, not Db); a named change less than a beat
    after the last one kept is left out, as two names would overprint (a written one never)."""
    names = _spelling(the_key) if the_key is not None else {}
    changes = []
    for c in chords:
        pitches = tuple(p.midi for p in c.pitches)
        figure = c.editorial.get("symbol")
        if not figure:
            root = chord_root(pitches)
            spelled = names.get(root, ROOT_NAMES[root].replace("b", "-")).replace("-", "b")
            figure = spelled + chord_name(pitches)[len(ROOT_NAMES[root]):]
        at = _on_grid(c.offset, _beat_grids([c.offset]))
        written = c.editorial.get("symbol") is not None  # the user's: every one is shown
        if not changes or (figure != changes[-1][1] and (written or at - changes[-1][0] >= 1)):
            changes.append((at, figure, list(pitches)))
    return changes


def _beat_grids(onsets):
    """{beat: 4 or 3}: whether each beat that has onsets is written in sixteenths or in eighth-note
    triplets, whichever moves its onsets less (sixteenths on a tie), so that no beat mixes them."""
    by_beat = {}
    for onset in onsets:
        by_beat.setdefault(int(Fraction(onset) // 1), []).append(Fraction(onset))
    return {beat: min(GRID, key=lambda d: (sum(abs(o - Fraction(round(o * d), d)) for o in found), -d))
            for beat, found in by_beat.items()}


def _on_grid(offset, grids):
    """The offset moved to its beat's grid (sixteenths where the beat has none): an exact Fraction."""
    offset = Fraction(offset)
    d = grids.get(int(offset // 1), GRID[0])
    return Fraction(round(offset * d), d)


def _write(part, spans, make, bar_end, bar, graces=False):
    """Insert (start, end, content) spans into a part as make(content) notes or chords, and rests
    between them up to bar_end (bar: the bar's length), on the notation grid, one at a time: each split at its beats
    into tied pieces, so that a beat holds sixteenths or triplets but never both. A span that
    starts where the last one did on the grid (a note a twelfth of a beat before the next, a
    flam) is written as a grace note before it with graces, else left out."""
    grids = _beat_grids([start for start, _, _ in spans])
    placed = []  # (start, end, content, the contents of the grace notes before it)
    for start, end, content in spans:
        start = _on_grid(start, grids)
        end = max(_on_grid(end, grids), start + Fraction(1, grids.get(int(start // 1), GRID[0])))
        if placed and start <= placed[-1][0]:
            if graces:  # the same start: this one is the main note, the one before its grace note
                _, _, grace, earlier = placed.pop()
                placed.append((start, end, content, earlier + [grace]))
            continue
        if placed and placed[-1][1] > start:  # the one before ends where this one starts
            placed[-1] = (placed[-1][0], start) + placed[-1][2:]
        placed.append((start, end, content, []))
    position = Fraction(0)
    for start, end, content, before in placed + [(bar_end, bar_end, None, [])]:
        if start > position:  # the silence before it, on the same grid
            _insert_split(part, position, start, note.Rest, bar)
        for grace in before:
            part.insert(start, make(grace).getGrace())
        if end > start:
            _insert_split(part, start, end, lambda: make(content), bar)
            position = end


def _insert_split(part, start, end, make, bar):
    """make() pieces from start to end: the part of a beat it starts in, whole beats, the part of
    a beat it ends in, cut at bar lines (bar: the bar's length) and whole beats cut into notes
    that one note value shows (a whole, a dotted half, a half, a quarter), tied together unless
    they are rests."""
    cuts = {start, end} | {Fraction(b) for b in (math.ceil(start), math.floor(end)) if start < b < end}
    cuts |= {line * bar for line in range(math.ceil(start / bar), math.floor(end / bar) + 1)
             if start < line * bar < end}
    cuts = sorted(cuts)
    pieces = []
    for piece_start, piece_end in zip(cuts, cuts[1:]):
        while piece_end - piece_start > 1 and (piece_end - piece_start) % 1 == 0 and piece_start % 1 == 0:
            step = next(n for n in (4, 3, 2, 1) if n <= piece_end - piece_start)
            pieces.append((piece_start, piece_start + step))
            piece_start += step
        if piece_end > piece_start:
            pieces.append((piece_start, piece_end))
    for i, (piece_start, piece_end) in enumerate(pieces):
        made = make()
        made.quarterLength = piece_end - piece_start
        if len(pieces) > 1 and not isinstance(made, note.Rest):
            made.tie = tie.Tie("start" if i == 0 else "stop" if i == len(pieces) - 1 else "continue")
        part.insert(piece_start, made)


def musicxml_text(sheet):
    """The MusicXML of a lead sheet, as text."""
    exporter = GeneralObjectExporter(sheet)
    exporter.makeNotation = False  # lead_sheet made it: not again, on a copy
    text = exporter.parse().decode("utf-8")
    # without the day it was written, so that the same music gives the same bytes
    text = re.sub(r"\s*<encoding-date>[^<]*</encoding-date>", "", text, count=1)
    return re.sub(r"\s*<(root|bass)-alter>0</(root|bass)-alter>", "", text)  # a chord's D is no D natural


def engrave(musicxml):
    """SVG of MusicXML, engraved by Verovio: every page one below the other in one picture."""
    import verovio  # here: only a run that engraves loads it

    verovio.enableLog(verovio.LOG_OFF)  # its layout warnings are not the user's business
    toolkit = verovio.toolkit()
    # one page as tall as Verovio allows, its height fitted to the music: pages (and their
    # numbers) only for a piece longer than that; ids seeded: the same music, the same picture
    toolkit.setOptions({"pageWidth": 2100, "pageHeight": PAGE_HEIGHT, "adjustPageHeight": True, "scale": 40,
                        "footer": "none", "header": "auto", "xmlIdSeed": 1})
    toolkit.loadData(musicxml)
    pages = [toolkit.renderToSVG(page) for page in range(1, toolkit.getPageCount() + 1)]
    if len(pages) == 1:
        return pages[0]
    sizes = [(float(re.search(r'width="([\d.]+)px"', p)[1]), float(re.search(r'height="([\d.]+)px"', p)[1]))
             for p in pages]
    width, height = max(w for w, _ in sizes), sum(h for _, h in sizes)
    stacked, top = [], 0.0
    for page, (_, page_height) in zip(pages, sizes):
        inner = page[page.index("<svg"):]
        stacked.append(f'<g transform="translate(0 {top})">{inner}</g>')
        top += page_height
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="{width}px" height="{height}px" viewBox="0 0 {width} {height}">' + "".join(stacked) + "</svg>")


def write_lead_sheet(score, beats_per_bar, musicxml_path, svg_path, the_key=None):
    """Write the lead sheet as MusicXML and as SVG, each whole or not at all. Returns False when
    Verovio cannot be imported, and then writes the MusicXML alone."""
    text = musicxml_text(lead_sheet(score, beats_per_bar, the_key=the_key))
    write_atomically(musicxml_path, lambda temporary: Path(temporary).write_text(text, encoding="utf-8"))
    try:
        picture = engrave(text)
    except ImportError:
        return False
    write_atomically(svg_path, lambda temporary: Path(temporary).write_text(picture, encoding="utf-8"))
    return True
