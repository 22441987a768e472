"""The machinery behind the course's six modules, one module per stage.

Reading a corpus: piece_files (MIDI through mido, MusicXML and ABC through music21),
course_preset (the course's Metheny corpus, read as music21 5 read it), melody_and_chords,
chord_symbols, corpus_cache, and corpus, which ties them together (load_solo).
Making music: music_rules, the rules the course's grammar and qa call.
The model: training (the course's model, trained fast) and saved_model (weights and vocabulary).
Rendering: midi_output, audio, plots, report.
Running: command_line, console (errors for people), safe_files (outputs whole or not at all),
limits (every bound on an input, in one place), events (notes as plain numbers).

Nothing here imports the course's modules: data flows from them down into this package.
"""
