"""English words of the text tab's measures, "How good is this text?" (merged into en.py's
catalogue: genai/locales/__init__.py)."""
CODE = "en"

STRINGS = {
    'measures.explain': r"""
### How good is this text?
The model continues passages of the **held-out text** (the part it never trained on) from their
first 64 characters, for as long as the true continuation (160 characters), at five temperatures.
Each continuation is scored against the true one: **BLEU** (Papineni et al. 2002: how many of its
1- to 4-word sequences the reference has, 0-100), **chrF** (Popović 2015: the same with character
sequences, 0-100) and **ROUGE-L** (Lin 2004: the longest run of words both share in order, 0-1);
and on its own: **distinct-2** (the share of its word pairs that are different: low means it
repeats itself) and **repetition** (the share of its 4-word sequences it has already written). The
model itself is measured by its **perplexity** on the held-out text, $e^{L}$ with $L$ the mean of
$-\ln p(x_t \mid x_{<t})$ per character (as if it chose among that many characters each time),
and **bits per character**, $L / \ln 2$.

What to look for (measured on the shipped models, 20 passages: BENCHMARKS.md): at **greedy** the
text loops, distinct-2 falls from about 0.9 to 0.24 and repetition rises, yet BLEU and ROUGE-L
hardly move, and no temperature gives the overlap scores a clear lead. The **real text** row (each
true continuation scored against another passage's) scores as the model's samples do (BLEU about
1, chrF about 18), and the **character bigram** (a table of which character follows which,
fitted on the training text), whose words are mostly not words, gets nearly the same chrF. One
reference is a poor judge of open-ended text: there are many good continuations, and overlap with
one of them cannot tell Shakespeare from a good imitation, nor, by chrF, from a bad one.
Perplexity judges the model's predictions of real text (the GPT 4.4, the LSTM 4.6, the bigram 12),
not any sample it writes; distinct-n and repetition catch the loops that overlap misses.
""",
    'measures.greedy': 'greedy',
    'measures.passages': 'Passages',
    'measures.compare': 'Compare with',
    'measures.compare_info': 'Baselines beside the model chosen above (a fine-tuned model brings its base by itself)',
    'measures.run': 'Measure',
    'measures.table': 'Scores (corpus scores over all passages; the model\'s held-out loss beside them)',
    'measures.plot': 'Scores against the temperature (greedy at 0; BLEU and chrF divided by 100)',
    'measures.show_temperature': 'Passages at temperature',
    'measures.bigram': 'character bigram (baseline)',
    'measures.before': '{name} (before the fine-tune)',
    'measures.progress': 'measuring {name}',
    'measures.real_row': 'real text (another passage)',
    'measures.marks': ('Marked: words the continuation and the reference share (yellow: a word; green: part '
                       'of a 2- to 4-word sequence both have).'),
    'measures.col_model': 'model',
    'measures.col_temperature': 'temperature',
    'measures.col_repetition': 'repetition',
    'measures.col_heldout_loss': 'held-out loss (nats/char)',
    'measures.col_perplexity': 'perplexity',
    'measures.col_bits_per_char': 'bits/char',
    'measures.col_prompt': 'Prompt',
    'measures.col_continuation': 'Continuation',
    'measures.col_reference': 'True continuation',
    'measures.series_repetition': 'repetition',
    'measures.series_real_bleu': 'BLEU / 100 of real text',
    'measures.series_real_distinct_2': 'distinct-2 of real text',
    'err.passages_range': 'The number of passages must be from 1 to {most} (got {k}).',
    'err.heldout_too_short': ('The held-out text ({n} characters) has room for {room} passages of {span} '
                              'characters, not {k}: ask for fewer passages, or give a longer text.'),
}
