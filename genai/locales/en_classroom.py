"""English words of the class: who a student is, their devices, the teacher's board, importing
a run (merged into en.py's catalogue: genai/locales/__init__.py)."""
CODE = "en"

STRINGS = {
    'app.tab_class': 'Class (teacher)',
    'class.you_are': 'You are **{name}**: your runs are kept for you, on every device you join and after a reload.',
    'class.who_are_you': 'Type your name and press *Save*: your runs are kept under it, and your teacher sees them by it.',
    'class.your_name': 'Your name',
    'class.name_placeholder': 'e.g. Ana L.',
    'class.save_name': 'Save',
    'class.devices_title': 'Use another device (phone, lab PC)',
    'class.devices_explain': ('On this device, press *Show a code*. On the other one, open the page and type '
                              'the code (or open the link): both are then you, with the same runs.'),
    'class.show_code': 'Show a code',
    'class.code_in': 'Code from your other device',
    'class.join': 'Join',
    'class.code_note': 'Code **{code}** (works for {minutes} minutes), or open {link} on the other device.',
    'class.runs_not_kept': ('**This Space has no persistent storage: a restart of the Space loses every run.** '
                            'Export the runs you want to keep (Training monitor), or ask the Space\'s owner to add '
                            'storage (README, "Keeping the class\'s work").'),
    'class.intro': r"""
### The class board (for the teacher)
Every student's runs as cards: their name, the model and what they changed from its preset, how far
it is, the newest samples and its quality figure (FID for images, lower is closer to real digits;
held-out loss for text and the VAE). The plot puts the class's results against one setting: the
lesson as one experiment ("who used which learning rate, and what FID did it give?").
Open it with the teacher's key (the server's `GENAI_TEACHER_KEY`), here or as `?teacher=KEY` in the
address. Students see only their own runs (and the ones shared with the class).
""",
    'class.key': "Teacher's key",
    'class.open_board': 'Open the board',
    'class.welcome': 'The board is open; it refreshes every few seconds.',
    'class.show_hidden': 'Show hidden runs',
    'class.refresh': 'Refresh',
    'class.plot_title': '**Result against a setting, one point per run**',
    'class.setting': 'Setting',
    'class.result': 'Result',
    'class.fid': 'FID (images)',
    'class.heldout_loss': 'held-out loss',
    'class.run': 'Run',
    'class.projector': 'Put on the projector',
    'class.hide': 'Hide / show',
    'class.empty': 'No runs yet: they appear here as the students start them.',
    'class.no_name': 'no name yet',
    'class.away': '(no page open)',
    'class.eta': 'done in {eta}',
    'class.progress': '{trained} of {students} students have a trained model · {training} training · {waiting} waiting',
    'class.last_end': 'the last should be done in about {eta}',
    'class.last_end_unknown': 'when the last is done: not known yet',
    'class.hidden_mark': '(hidden)',
    'class.q_heldout_fid': 'FID {value}',
    'class.q_heldout_loss': 'held-out loss {value}',
    'class.stopped': '**{run}**: stopping (its checkpoint is saved).',
    'class.projector_note': 'Open {link} on the projector: **{run}**, live.',
    'class.hidden_now': '**{run}** is hidden from the board.',
    'class.shown_now': '**{run}** is on the board again.',
    'status.interrupted': 'interrupted (a server restart): resume it in the Training monitor',
    'monitor.import_file': 'An exported run (zip)',
    'monitor.import': 'Import run',
    'monitor.imported': 'Imported as **{name}** (step {step}): sample from it in its tab, or resume it here.',
    'err.name_first': ('Type your name at the top of the page and press Save first: your runs are kept under it, '
                       'and your teacher sees them by it.'),
    'err.name_not_text': 'A name must be text.',
    'err.name_empty': 'Type a name (letters, not only spaces).',
    'err.name_too_long': 'A name has at most {most} characters (this one has {n}).',
    'err.no_student_yet': 'This page has not loaded its student yet: reload it, then ask for a code.',
    'err.bad_device_code': 'That code is wrong or expired: show a new one on your other device.',
    'err.bad_student': 'student must be the secret a page keeps (20 to 64 letters, digits, - or _).',
    'err.teacher_key': ("That is not the teacher's key (or the server has none: set GENAI_TEACHER_KEY "
                        "where it starts)."),
    'err.teacher_only': "Only the teacher sees the class board: open it with the teacher's key.",
    'err.import_choose': 'Choose an exported run (a zip from Export) first.',
    'err.import_not_zip': 'The upload is not a zip file.',
    'err.import_too_big': 'The zip is {mb} MB; an exported run is at most {most} MB.',
    'err.import_members': 'The zip has {n} files; an exported run has at most {most}.',
    'err.import_unpacked': 'The zip unpacks to more than {most} MB; an exported run is smaller.',
    'err.import_member': ('The zip holds {name}, which an exported run does not (config.json, metrics.csv, '
                          'samples/, checkpoint/*.safetensors and .json, tensorboard/): nothing was imported.'),
    'err.import_encrypted': 'The zip\'s file {name} is encrypted: nothing was imported.',
    'err.import_compression': 'The zip\'s file {name} uses a compression an exported run does not: nothing was imported.',
    'err.import_no_config': 'The zip has no config.json: it is not an exported run.',
    'err.import_no_checkpoint': 'The zip has no checkpoint (one .safetensors file with its .json): nothing was imported.',
    'err.import_bad_config': "The zip's config.json is not a run's settings: nothing was imported.",
    'err.import_bad_settings': "The zip's settings are not valid ({why}): nothing was imported.",
    'err.import_bad_checkpoint': "The zip's checkpoint does not load as its model ({why}): nothing was imported.",
    'err.import_damaged': 'The zip is damaged ({why}): nothing was imported.',
}
