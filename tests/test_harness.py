"""The test harness itself (tests/conftest.py)."""
import logging


def test_the_loggers_can_be_walked_while_a_thread_adds_one():
    """pytest walks the logging module's loggers at the start of each test phase, without a lock,
    while the app's threads may create loggers (conftest.py, ``_LoggersSnapshot``). Walking them
    and adding one at each step is that race made certain: a plain dict raises
    "dictionary changed size during iteration"."""
    walked = 0
    for _ in logging.Logger.manager.loggerDict.values():
        logging.getLogger(f"genai.test_harness.{walked}")
        walked += 1
        if walked == 5:
            break
    assert walked == 5
