"""Bad input, driven by the registry: every error input of every component (written in
parity_tests/error_inputs.py, one function per component class) must raise its exception
with a message naming the argument, what was expected and what was given."""

import re

import pytest

from parity_tests.registry import RECORDS

CASES = [
    pytest.param(record, case, id=f"{record.name}-{case.description}")
    for record in RECORDS
    for case in record.error_inputs()
]


def test_there_are_error_inputs():
    # guards the test below against passing vacuously on an empty registry field
    assert len(CASES) >= 37


@pytest.mark.parametrize("record, case", CASES)
def test_bad_input_raises_a_message_naming_it(record, case):
    with pytest.raises(case.error, match=re.escape(case.message)):
        case.call()
