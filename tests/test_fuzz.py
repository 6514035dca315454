"""imageprepare on damaged files: a valid array or an ImageError, nothing else.

The cases (see fuzzcases.py) are small PNG, JPEG, GIF and BMP pictures of a
digit with seeded mutations; bench/fuzz.py runs many more of them.
"""
import pytest

import fuzzcases

pytestmark = pytest.mark.quick

CASES_PER_FORMAT = 600
CHUNK = 100


@pytest.mark.filterwarnings('ignore::UserWarning:PIL')    # damaged EXIF data
@pytest.mark.parametrize('start', range(0, CASES_PER_FORMAT, CHUNK))
@pytest.mark.parametrize('fmt', fuzzcases.FORMATS)
def test_damaged_files(fmt, start, tmp_path):
    failures = [f'{fuzzcases.label(case)}\n    -> {outcome.detail}\n    rerun: python bench/fuzz.py '
                f'--seed 0 --format {fmt} --start {case.number} --cases 1 --save DIR'
                for case, outcome in fuzzcases.run_cases(fmt, range(start, start + CHUNK), 0, tmp_path)
                if outcome.kind == 'failure']
    assert not failures, f'{len(failures)} of {CHUNK} cases broke the contract:\n' + '\n'.join(failures)


@pytest.mark.parametrize('fmt', fuzzcases.FORMATS)
def test_undamaged_bases_predict(fmt, tmp_path):
    """The pictures the mutations start from are read as digits."""
    for i, data in enumerate(fuzzcases.bases(fmt)):
        path = tmp_path / f'base{i}.{fmt}'
        path.write_bytes(data)
        assert fuzzcases.check(path) == ('predicted', None), f'{fmt} base {i}'
