"""A rhythm section under the solo, on request (lstm.py --band): a walking bass and a swing ride
cymbal, as Impro-Visor accompanies its solos.

The bass walks in quarter notes: the chord's root on the beat it arrives, chord tones stepping
from the note before on the beats after, and on the beat before a change a note a half step
above or below the next chord's root, leading into it. The drums keep time on the ride cymbal,
every beat with the swung skip note (the last triplet eighth) after the second and fourth, the
hi-hat closed by the foot on two and four: General MIDI drums, channel 10.
"""

import math
from fractions import Fraction

from music21 import instrument, note, stream

from jazz_improv.chord_symbols import chord_root

BASS_LOW, BASS_HIGH = 28, 52  # E1 .. E3, a double bass's walking range
RIDE, PEDAL_HAT = 51, 44  # General MIDI drum keys: ride cymbal 1, pedal hi-hat
DRUM_CHANNEL = 9  # MIDI channel 10, counted from 0 as music21 counts
SKIP = Fraction(2, 3)  # the ride's skip note: the last eighth of a triplet, swung
BASS_ID, DRUMS_ID = "bass", "drums"  # the parts' ids, which tell the audio which voice plays them


def _nearest(pitch_class, previous):
    """The pitch of this class in the bass's range nearest the previous one (the lower on a tie)."""
    choices = [p for p in range(BASS_LOW, BASS_HIGH + 1) if p % 12 == pitch_class]
    return min(choices, key=lambda p: (abs(p - previous), p))


def walking_bass(chords, beats, rng):
    """One quarter note per beat over chords.

    Arguments:
        chords -- music21 Chords in time order, offsets in quarter notes from the piece's start
        beats -- how many beats the bass plays
        rng -- a random.Random: which chord tone a passing beat takes
    Returns:
        [(beat, MIDI pitch)]; beats before the first chord are silent. A chord repeated with the
        same pitch classes is no change: the line walks on through it.
    """
    # a chord arrives on the beat nearest its start: one that comes a sixteenth after the beat
    # has its root on that beat, not an approach note
    starts = [math.floor(c.offset + Fraction(1, 2)) for c in chords]
    walked, previous = [], (BASS_LOW + BASS_HIGH) // 2

    def sounding(beat):
        """The pitch classes of the chord sounding on a beat, and the chord; (None, None) before
        any, and in an N.C.: a chord written with --chords lasts its length, while a corpus's
        chord, a comping stab, holds until the next one."""
        index = max((i for i, start in enumerate(starts) if start <= beat), default=None)
        if index is None or (chords[index].editorial.get("symbol") is not None
                             and chords[index].offset + chords[index].quarterLength <= beat):
            return None, None
        return frozenset(p.midi % 12 for p in chords[index].pitches), chords[index]

    for beat in range(beats):
        (current, played), (following, coming) = sounding(beat), sounding(beat + 1)
        if current is None:
            continue
        root = chord_root(tuple(p.midi for p in played.pitches))
        changes = following is not None and following != current and beat + 1 < beats
        if beat == 0 or sounding(beat - 1)[0] != current:
            pitch = _nearest(root, previous)  # the root where the chord arrives
        elif changes:  # a half step into the next root
            target = _nearest(chord_root(tuple(p.midi for p in coming.pitches)), previous)
            step = -1 if previous < target else 1  # from the side the line comes from
            pitch = target + step if BASS_LOW <= target + step <= BASS_HIGH else target - step
        else:  # a chord tone near the last note, not the same one
            tones = current - {previous % 12}
            near = sorted((_nearest(pc, previous) for pc in tones), key=lambda p: (abs(p - previous), p))
            pitch = rng.choice(near[:2]) if near else previous
        walked.append((beat, pitch))
        previous = pitch
    return walked


def swing_ride(beats, beats_per_bar):
    """[(offset, drum key)]: the ride on every beat, its skip note after every other beat, and the
    pedal hi-hat with the skips (two and four in 4/4)."""
    hits = []
    per_bar = max(1, int(Fraction(beats_per_bar)))
    for beat in range(beats):
        hits.append((Fraction(beat), RIDE))
        if beat % per_bar % 2 == 1:
            hits += [(beat + SKIP, RIDE), (Fraction(beat), PEDAL_HAT)]
    return hits


def rhythm_section(score, beats_per_bar, rng):
    """The bass and drum parts under a score from generate_music (its second part is the chords),
    as long as the score, in whole bars: [bass Part, drums Part]."""
    chords = sorted(score.parts[1].flatten().notes, key=lambda c: c.offset)
    bar = Fraction(beats_per_bar)
    beats = int(-(-Fraction(score.highestTime) // bar) * bar)
    bass = stream.Part(id=BASS_ID)
    bass.insert(0, instrument.AcousticBass())
    for beat, pitch in walking_bass(chords, beats, rng):
        bass.insert(beat, note.Note(pitch, quarterLength=1))
    drums = stream.Part(id=DRUMS_ID)
    kit = instrument.Percussion()
    kit.midiChannel = DRUM_CHANNEL
    drums.insert(0, kit)
    for offset, key in swing_ride(beats, beats_per_bar):
        hit = note.Note(key, quarterLength=Fraction(1, 3))
        hit.volume.velocity = 90 if key == RIDE and offset % 1 == 0 else 64
        drums.insert(offset, hit)
    return [bass, drums]
