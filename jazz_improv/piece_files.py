"""Read a MIDI, MusicXML or ABC file into parts of plain note events.

A MIDI file is read from mido's events (music21's importer builds measures, voices and ties,
and costs more than linear time): one part per track and channel, channel 10 being drums.
MusicXML and ABC are read by music21; an ABC file of several tunes gives one piece per tune.
Each piece comes with its metre, its chord symbols and where its bars start.
"""

import codecs
import contextlib
import html
import io
import math
import os
import re
import zipfile
from bisect import bisect_right
from collections import Counter, defaultdict, deque
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

import mido
from music21 import converter, harmony, instrument, meter, note, percussion, stream

from jazz_improv.console import InputError, cannot_read
from jazz_improv.events import Event, is_midi_pitch, quantize
from jazz_improv.limits import (MAX_ABC_METRES, MAX_ABC_TUNES, MAX_ABC_VOICES, MAX_BAR_QUARTERS, MAX_DIVISIONS,
                                MAX_DURATION_DIVISIONS, MAX_METRE_NUMBER, MAX_MIDI_BYTES, MAX_PIECE_QUARTERS,
                                MAX_SCORE_BYTES, MAX_TOKEN_LENGTH)

DEFAULT_BEATS_PER_BAR = 4  # a piece that states no metre is in 4/4, as MIDI assumes
MIDI_SUFFIXES = (".mid", ".midi")
PERCUSSION_CHANNEL = 10  # General MIDI's drum channel, as music21 numbers channels (from 1)
SHORTEST_NOTE = Fraction(1, 4)  # a MIDI note too short for the grid lasts a sixteenth, as music21 has it


class Part(NamedTuple):
    """One part of a piece: its name ('' if none), its notes and chords as events
    [(offset, length, pitches)] in offset order, and whether it is a drum part."""

    name: str
    events: list
    percussion: bool


class Texture(NamedTuple):
    """A piece as read from its file: parts [Part]; chord symbols [Event], each lasting until
    the next; the bar length and the beat in quarter notes; and the number of its first bar
    (1, or 0 when it starts with a pickup). Offsets put every bar line on a multiple of
    bar_length."""

    parts: list
    symbols: list
    bar_length: Fraction
    beat: Fraction
    first_bar: int


def _is_midi(path):
    """True for a file that starts as MIDI files do, or is named like one."""
    try:
        with open(path, "rb") as file:
            return file.read(4) == b"MThd" or Path(path).suffix.lower() in MIDI_SUFFIXES
    except OSError as error:
        raise cannot_read(path, error) from None


def _midi_metre(numerator, denominator):
    """(bar length, beat) in quarter notes of a MIDI time signature: 6/8 is (3, 3/2), 3/4 (3, 1)."""
    if numerator <= 0 or denominator <= 0:
        return Fraction(DEFAULT_BEATS_PER_BAR), Fraction(1)
    unit = Fraction(4, denominator)
    compound = denominator >= 8 and numerator > 3 and numerator % 3 == 0
    return numerator * unit, 3 * unit if compound else unit


def _midi_part_name(track_name, channel, several, program):
    """A MIDI part's name: its track's name, else its General MIDI instrument; with the channel
    when its track plays on several."""
    if track_name:
        return f"{track_name} channel {channel}" if several else track_name
    if channel == PERCUSSION_CHANNEL:
        return "Percussion"
    if program is not None:
        try:
            return instrument.instrumentFromMidiProgram(program).instrumentName or ""
        except Exception:  # music21 knows most General MIDI programs, not every one
            pass
    return f"channel {channel}" if several else ""


def _midi_events(notes, ticks_per_quarter):
    """[(offset, length, pitches)] of (on tick, off tick, pitch) notes, snapped to sixteenths or
    eighth-note triplets as music21 imports MIDI; notes with the same offset and length are
    one chord."""
    chords = defaultdict(set)
    for on, off, pitch in notes:
        offset = quantize(on / ticks_per_quarter)
        length = max(quantize((off - on) / ticks_per_quarter), SHORTEST_NOTE)
        chords[offset, length].add(pitch)
    return sorted((offset, length, tuple(sorted(pitches))) for (offset, length), pitches in chords.items())


class MidiTrack(NamedTuple):
    """What one MIDI track holds: its name, the first program of each channel, its notes
    [(on tick, off tick, pitch, channel)] in note-on order, whether it switches any note on
    (music21 5 counted such a track among those with notes, closed or not), and its first time
    signature (tick, numerator, denominator) or None. Channels are numbered from 1, as music21
    numbers them."""

    name: str
    programs: dict
    notes: list
    has_note_on: bool
    signature: tuple | None


def _track(messages):
    """The MidiTrack of one track's mido messages. A note lasts from its note-on to the first
    note-off of its pitch and channel (a note-on of velocity 0 is a note-off); a note never
    switched off is dropped."""
    name, programs, signature = "", {}, None
    notes, note_ons = [], 0
    sounding = defaultdict(deque)  # (channel, pitch) -> (on tick, order) of the notes not yet off
    now = 0
    for message in messages:
        now += message.time
        kind = message.type
        if kind == "note_on" and message.velocity:
            sounding[message.channel + 1, message.note].append((now, note_ons))
            note_ons += 1
        elif kind in ("note_off", "note_on"):
            waiting = sounding.get((message.channel + 1, message.note))
            if waiting:
                on, order = waiting.popleft()
                notes.append((order, on, now, message.note, message.channel + 1))
        elif kind == "program_change":
            programs.setdefault(message.channel + 1, message.program)
        elif kind == "track_name" and not name:
            # mido decodes text as Latin-1; files write UTF-8 more often
            name = message.name.encode("latin-1", "replace").decode("utf-8", "replace").strip()
        elif kind == "time_signature" and signature is None:
            signature = (now, message.numerator, message.denominator)
        elif kind == "end_of_track":
            break
    notes.sort()
    return MidiTrack(name, programs, [note[1:] for note in notes], note_ons > 0, signature)


def _midi_failure(error):
    """Why mido could not read a file, in a few words."""
    text = str(error).strip()
    if isinstance(error, EOFError):
        return "cut short"
    if "MThd not found" in text:
        return "no MIDI header"
    if "MTrk" in text:
        return "a track has no track header"
    return text.splitlines()[0][:80] if text else type(error).__name__


def _variable_int(infile):
    """A MIDI file's variable-length number, of at most the 4 bytes the standard allows (mido
    reads any number of them, and a run of a million grows one integer a million times)."""
    value = 0
    for _ in range(4):
        byte = mido.midifiles.midifiles.read_byte(infile)
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value
    raise ValueError("a variable-length number longer than 4 bytes")


def _track_in_its_chunk(read_track):
    """mido's read_track, given only its chunk's bytes: mido reads on until its position meets
    the chunk's end exactly, so an event that runs past it would read the next track as its own."""
    def read(infile, debug=False, clip=False):
        header = infile.read(8)
        body = infile.read(int.from_bytes(header[4:8], "big")) if len(header) == 8 else b""
        if len(header) < 8 or len(body) < int.from_bytes(header[4:8], "big"):
            raise EOFError
        try:
            return read_track(io.BytesIO(header + body), debug, clip)
        except EOFError:
            raise ValueError("an event runs past the end of its track") from None
    return read


@contextlib.contextmanager
def _strict_mido():
    """mido, reading with _variable_int and _track_in_its_chunk while the block runs."""
    module = mido.midifiles.midifiles
    originals = module.read_variable_int, module.read_track
    module.read_variable_int, module.read_track = _variable_int, _track_in_its_chunk(module.read_track)
    try:
        yield
    finally:
        module.read_variable_int, module.read_track = originals


def check_size(path):
    """InputError when a piece's file is larger than its format may be (MAX_MIDI_BYTES,
    MAX_SCORE_BYTES): cheap, so it comes before anything reads the whole file."""
    limit = MAX_MIDI_BYTES if _is_midi(path) else MAX_SCORE_BYTES
    try:
        size = os.stat(path).st_size
    except OSError as error:
        raise cannot_read(path, error) from None
    if size > limit:
        raise _too_large(path, size, limit)


def _too_large(path, size, limit):
    return InputError(f"{path}: {size / 2**20:.1f} MB, larger than the {limit >> 20} MB a piece's file may be")


def _read_bounded(path, limit):
    """A file's bytes, at most limit of them (InputError beyond, before reading them)."""
    try:
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            data = file.read(limit + 1) if size <= limit else b""
    except OSError as error:
        raise cannot_read(path, error) from None
    if size > limit or len(data) > limit:
        raise _too_large(path, max(size, len(data)), limit)
    return data


def read_midi(path):
    """(ticks per quarter note, [MidiTrack]) of a Standard MIDI File, read by mido.

    Raises InputError naming the file when it cannot be read, is larger than MAX_MIDI_BYTES or
    is not MIDI with timing in beats.
    """
    data = _read_bounded(path, MAX_MIDI_BYTES)
    try:
        with _strict_mido():
            midi_file = mido.MidiFile(file=io.BytesIO(data), clip=True)
    except Exception as error:  # mido reports bad bytes as OSError, EOFError, ValueError, KeyError ...
        raise InputError(f"{path}: not a readable MIDI file ({_midi_failure(error)})") from None
    ticks_per_quarter = midi_file.ticks_per_beat
    if not ticks_per_quarter or ticks_per_quarter & 0x8000:  # zero, or SMPTE frames, not beats
        raise InputError(f"{path}: not a readable MIDI file (no timing in beats)")
    if not midi_file.tracks:
        raise InputError(f"{path}: not a readable MIDI file (no tracks)")
    return ticks_per_quarter, [_track(track) for track in midi_file.tracks]


def _midi_texture(path):
    """The Texture of a MIDI file, from mido's events (music21's importer builds measures,
    voices and ties, and costs far more).

    Each track becomes one part per channel it plays on (a type-0 file holds a whole band in
    one track); channel 10 is drums. The earliest time signature gives the metre (4/4 if none).
    """
    ticks_per_quarter, tracks = read_midi(path)
    parts = []
    for track in tracks:
        by_channel = defaultdict(list)
        for on, off, pitch, channel in track.notes:
            by_channel[channel].append((on, off, pitch))
        for channel in sorted(by_channel):
            name = _midi_part_name(track.name, channel, len(by_channel) > 1, track.programs.get(channel))
            parts.append(Part(name, _midi_events(by_channel[channel], ticks_per_quarter),
                              channel == PERCUSSION_CHANNEL))
    signatures = [track.signature for track in tracks if track.signature]
    if signatures:
        _, numerator, denominator = min(signatures)
        if numerator > MAX_METRE_NUMBER or denominator > MAX_METRE_NUMBER:
            raise InputError(f"{path}: a time signature of {numerator}/{str(denominator)[:12]} "
                             f"(numbers up to {MAX_METRE_NUMBER} are read)")
        bar_length, beat = _midi_metre(numerator, denominator)
    else:
        bar_length, beat = Fraction(DEFAULT_BEATS_PER_BAR), Fraction(1)
    return Texture(parts, [], bar_length, beat, 1)


def events_of_part(part):
    """The notes and chords of a music21 part as events, in offset order.

    Returns [(offset, length, pitches)]: offset and length Fractions in quarter notes,
    pitches a tuple of MIDI ints (one for a Note, all of a Chord's). Chord symbols,
    unpitched (percussion) notes and zero-length grace notes are skipped; tied notes
    stay separate notes, as music21 stores them.
    """
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
    if any(isinstance(i, instrument.UnpitchedPercussion) or i.midiChannel == 9
           for i in part.recurse().getElementsByClass(instrument.Instrument)):
        return True
    return any(isinstance(n, (note.Unpitched, percussion.PercussionChord)) for n in part.recurse().notes)


def _measure_spans(part):
    """[(offset, length)] of a part's measures in quarter notes, in order ([] if it has none)."""
    measures = list(part.getElementsByClass(stream.Measure))
    offsets = [Fraction(m.offset) for m in measures]
    ends = offsets[1:] + [offsets[-1] + Fraction(measures[-1].duration.quarterLength)] if measures else []
    return [(offset, end - offset) for offset, end in zip(offsets, ends)]


def _score_metre(part, spans):
    """(bar length, beat) in quarter notes of a score whose first part is `part`.

    The bar is the length most of its measures have (a pickup or a short last bar aside), so
    a stray short measure with a time signature of its own (music21 gives an ABC pickup in
    mid-tune one) does not set it; the beat is that metre's (3/2 in 6/8). A score without
    measures takes its first time signature, else 4/4.
    """
    signatures = list(part.recurse().getElementsByClass(meter.TimeSignature))
    if spans:
        lengths = Counter(length for _, length in (spans[1:-1] or spans) if length > 0)
        bar_length = lengths.most_common(1)[0][0] if lengths else Fraction(DEFAULT_BEATS_PER_BAR)
    elif signatures:
        bar_length = Fraction(signatures[0].barDuration.quarterLength)
    else:
        bar_length = Fraction(DEFAULT_BEATS_PER_BAR)
    for signature in signatures:
        if Fraction(signature.barDuration.quarterLength) == bar_length:
            return bar_length, min(Fraction(signature.beatDuration.quarterLength), bar_length)
    return bar_length, min(Fraction(1), bar_length)


def _aligned(spans, bar_length):
    """Where a score's measures go so that every full bar starts on a multiple of bar_length.

    spans: [(offset, length)] of the measures. Returns (starts, shifts, end): each measure's
    score offset, how far it moves, and where the last one ends. A first measure shorter
    than a bar is a pickup and ends on the first bar line; a short measure that fits in the
    rest of the bar before it completes that bar (an incomplete bar before a repeat, then a
    pickup); any other measure starts on the next bar line, and one longer than a bar (a
    change of metre) takes as many bars as it needs.
    """
    starts, shifts, position = [], [], Fraction(0)
    for index, (offset, length) in enumerate(spans):
        inside = position % bar_length
        if index == 0 and length < bar_length:
            position = bar_length - length
        elif inside and inside + length > bar_length:
            position += bar_length - inside
        starts.append(offset)
        shifts.append(position - offset)
        position += length
    return starts, shifts, position


def _chord_symbols(score, move, end):
    """A score's chord symbols as [Event] in order, offsets moved by move(offset); each lasts
    until the next symbol (or end): a lead sheet's chords sound until they change. N.C. ends
    a chord and adds none."""
    found = score.flatten().getElementsByClass(harmony.ChordSymbol)
    symbols = sorted(((move(Fraction(s.offset)), s) for s in found), key=lambda item: item[0])
    events = []
    for (offset, symbol), (following, _) in zip(symbols, symbols[1:] + [(end, None)]):
        pitches = tuple(sorted({p.midi for p in symbol.pitches}))
        if len(pitches) > 1 and following > offset:
            events.append(Event(offset, following - offset, pitches))
    return events


def _score_texture(score):
    """The Texture of a music21 Score (from MusicXML or ABC), its measures laid on a grid of
    its prevailing bar length (_score_metre, _aligned): pickups, incomplete bars and changes
    of metre do not shift the bar lines that follow them."""
    parts = list(getattr(score, "parts", [])) or [score]
    spans = _measure_spans(parts[0])
    bar_length, beat = _score_metre(parts[0], spans)
    starts, shifts, end = _aligned(spans, bar_length)

    def move(offset):
        if not starts:
            return offset
        return offset + shifts[max(bisect_right(starts, offset) - 1, 0)]

    def moved(events):
        return [Event(move(offset), length, pitches) for offset, length, pitches in events]

    read = [Part(p.partName or str(p.getInstrument(returnDefault=False) or ""), moved(events_of_part(p)),
                 is_percussion(p)) for p in parts]
    symbols = _chord_symbols(score, move, max(end, move(Fraction(score.highestTime))))
    pickup = bool(spans) and spans[0][1] < bar_length
    return Texture(read, symbols, bar_length, beat, 0 if pickup else 1)


# The numbers a MusicXML or ABC file states that music21 would build on: (pattern, what, limit).
# A tag may hold spaces or attributes, its number comments, CDATA or character references: the
# XML parser reads all of them as the number.
MUSICXML_NUMBERS = [(re.compile(rf"<{tag}(?:\s[^>]*)?>([^<]*)</{tag}\s*>".encode()), what, limit)
                    for tag, what, limit in (("beats", "a time signature's beats", MAX_METRE_NUMBER),
                                             ("beat-type", "a time signature's beat type", MAX_METRE_NUMBER),
                                             ("divisions", "divisions of a quarter note", MAX_DIVISIONS),
                                             ("duration", "a duration", MAX_DURATION_DIVISIONS))]
ABC_METRE = re.compile(rb"(?:^|\[)\s*[ML]:\s*([^\]\n%]*)", re.MULTILINE)
ABC_UNIT = re.compile(rb"(?:^|\[)\s*L:\s*(\d+)\s*/\s*(\d+)", re.MULTILINE)
ABC_VOICE = re.compile(rb"(?:^|\[)\s*V:\s*([^\s\]]+)", re.MULTILINE)
ABC_METRE_FIELD = re.compile(rb"(?:^|\[)\s*M:", re.MULTILINE)
ABC_NOTE_MULTIPLIER = re.compile(rb"[A-Ga-gz][,']*(\d+)")
# what is not notes: header and inline fields, comments, quoted chord symbols and text, !decorations!
ABC_NOT_NOTES = re.compile(rb"^[A-Za-z+]:.*$|%.*$|\[[A-Za-z]:[^\]]*\]|\"[^\"\n]*\"|![^!\n]*!", re.MULTILINE)


def _without_comments(data):
    """XML bytes without their comments, and CDATA sections replaced by their text: one pass,
    each searched for its end once (a regular expression would search again from every start
    of a comment left open)."""
    kept, position = [], 0
    while (start := min((i for i in (data.find(b"<!--", position), data.find(b"<![CDATA[", position)) if i >= 0),
                        default=-1)) >= 0:
        kept.append(data[position:start])
        comment = data.startswith(b"<!--", start)
        end = data.find(b"-->" if comment else b"]]>", start)
        if end < 0:
            return b"".join(kept)  # open to the end: the XML parser refuses it
        if not comment:
            kept.append(data[start + 9:end])
        position = end + 3
    kept.append(data[position:])
    return b"".join(kept)


def _as_utf8(data):
    """XML bytes in UTF-8 whatever their encoding's byte order mark says (UTF-16 or UTF-32)."""
    for mark, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(mark):
            return data.decode(codec, errors="replace").encode("utf-8")
    if data[:2] in (b"<\0", b"\0<"):  # UTF-16 without a mark
        return data.decode("utf-16-le" if data[0] else "utf-16-be", errors="replace").encode("utf-8")
    return data


def _abc_problem(data):
    """What an ABC file states beyond the limits: a metre or unit number above MAX_METRE_NUMBER,
    or a note longer than MAX_TOKEN_LENGTH quarter notes in the file's longest unit length."""
    for found in ABC_METRE.finditer(data):
        for number in re.findall(rb"\d+", found.group(1)):
            if int(number) > MAX_METRE_NUMBER:
                return f"its metre or note length {found.group(1).decode('ascii', 'replace').strip()[:20]!r} " \
                       f"has a number above {MAX_METRE_NUMBER}"
    voices = {name.strip() for name in ABC_VOICE.findall(data)}
    if len(voices) > MAX_ABC_VOICES:
        return f"{len(voices):,} voices (at most {MAX_ABC_VOICES} are read)"
    metres = len(ABC_METRE_FIELD.findall(data))
    if metres > MAX_ABC_METRES:
        return f"{metres:,} metre fields (at most {MAX_ABC_METRES} are read)"
    units = [Fraction(int(a), int(b)) for a, b in ABC_UNIT.findall(data) if int(b)] + [Fraction(1, 8)]
    longest = max(units) * 4  # quarter notes in the longest unit
    for found in ABC_NOTE_MULTIPLIER.finditer(ABC_NOT_NOTES.sub(b" ", data)):
        quarters = int(found.group(1)[:12]) * longest
        if quarters > MAX_TOKEN_LENGTH:
            return (f"a note of {found.group(1)[:12].decode()} units ({float(quarters):g} quarter notes; "
                    f"at most {MAX_TOKEN_LENGTH} are read)")
    return None


def _numbers_problem(data, suffix):
    """What number a MusicXML or ABC file's text states beyond its limit, or None."""
    if suffix == ".abc":
        return _abc_problem(data)
    data = _without_comments(_as_utf8(data))
    for pattern, what, limit in MUSICXML_NUMBERS:
        for found in pattern.finditer(data):
            stated = found.group(1).strip()
            text = html.unescape(stated[:200].decode("utf-8", "replace"))
            shown = text.strip()[:20]
            parts = re.split(r"[+*/]", text.strip()) or [""]
            try:
                values = [float(part) for part in parts]
            except ValueError:
                return f"{what} is not a number ({shown!r})"
            if len(stated) > 200 or not all(math.isfinite(v) and 0 <= v <= limit for v in values):
                return f"{what} of {shown} (at most {limit:,} are read)"
            if what.startswith("divisions") and not all(values):
                return f"{what} of {shown} (a quarter note needs at least 1)"
    return None


def _unpacked(path, archive):
    """The MusicXML of an .mxl archive, [bytes], its members' sizes checked before unpacking and
    counted again as they unpack (a zip's stated sizes may lie): InputError past MAX_SCORE_BYTES."""
    members = [m for m in archive.infolist() if m.filename.lower().endswith((".xml", ".musicxml"))
               and not m.filename.startswith("META-INF")]
    budget = MAX_SCORE_BYTES
    too_large = InputError(f"{path}: unpacks to more than the {MAX_SCORE_BYTES >> 20} MB a piece's file may be")
    if sum(m.file_size for m in members) > budget:
        raise too_large
    unpacked = []
    for member in members:
        with archive.open(member) as file:
            data = file.read(budget + 1)
        budget -= len(data)
        if budget < 0:
            raise too_large
        unpacked.append(data)
    return unpacked


def _file_numbers_problem(path):
    """_numbers_problem of a MusicXML file (the XML inside a compressed .mxl) or an ABC file,
    read within MAX_SCORE_BYTES; an ABC file of more than MAX_ABC_TUNES tunes is a problem too."""
    suffix = Path(path).suffix.lower()
    data = _read_bounded(path, MAX_SCORE_BYTES)
    if suffix == ".mxl":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                unpacked = _unpacked(path, archive)
        except InputError:
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, ValueError,
                RuntimeError, OSError):
            return None  # music21 says what is wrong with it
        return next(filter(None, (_numbers_problem(xml, ".xml") for xml in unpacked)), None)
    if suffix == ".abc" and len(re.findall(rb"(?m)^X:", data)) > MAX_ABC_TUNES:
        return f"more than {MAX_ABC_TUNES:,} tunes (at most {MAX_ABC_TUNES:,} are read from one file)"
    return _numbers_problem(data, suffix)


def _bounds_problem(texture):
    """What in a piece as read lies beyond the limits, or None."""
    if not 0 < texture.bar_length <= MAX_BAR_QUARTERS:
        return f"a bar of {float(texture.bar_length):g} quarter notes (at most {MAX_BAR_QUARTERS} are read)"
    events = [event for part in texture.parts for event in part.events] + list(texture.symbols)
    end = max((offset + length for offset, length, _ in events), default=0)
    if end > MAX_PIECE_QUARTERS:
        return f"a note ending {float(end):.3g} quarter notes in (at most {MAX_PIECE_QUARTERS:,} are read)"
    if not all(is_midi_pitch(p) for part in texture.parts for _, _, pitches in part.events for p in pitches):
        return "a pitch outside MIDI's 0-127"
    return None


def textures(path):
    """[(where, Texture)] of a file: one piece, or one per tune of an ABC file holding several.
    where names the piece in messages. The numbers a file states are checked against
    jazz_improv.limits before music21 reads it, and every piece's after. Raises InputError."""
    read = _read_textures(path)
    for where, texture in read:
        problem = _bounds_problem(texture)
        if problem:
            raise InputError(f"{where}: {problem}")
    return read


def _read_textures(path):
    if _is_midi(path):
        return [(str(path), _midi_texture(path))]
    problem = _file_numbers_problem(path)
    if problem:
        raise InputError(f"{path}: {problem}")
    try:
        # music21's own pickle cache would only duplicate ours, at the cost of time and memory.
        parsed = converter.parse(str(path), forceSource=True, storePickle=False)
    except Exception as error:  # music21 raises assorted errors on bad files
        raise InputError(f"{path}: not a readable MIDI, MusicXML or ABC file "
                         f"({type(error).__name__})") from None
    if not isinstance(parsed, stream.Opus):
        return [(str(path), _score_texture(parsed))]
    textures = []
    for number, score in enumerate(parsed.scores, 1):
        title = score.metadata.title if score.metadata else None
        textures.append((f"{path} tune {number}" + (f" ({title})" if title else ""), _score_texture(score)))
    return textures
