"""programs/reference/exemptions.yaml is dated data read once: a file that breaks its rules stops with an error
naming the file, the kind and what is wrong, instead of answering eligibility checks from half-read data."""

import pytest
import yaml

from programs.registries import rules

GOOD = yaml.safe_load(rules.EXEMPTIONS_FILE.read_text())


def _broken(change) -> dict:
    data = yaml.safe_load(rules.EXEMPTIONS_FILE.read_text())
    change(data)
    return data


@pytest.fixture
def data_file(tmp_path, monkeypatch):
    def write(data: dict):
        path = tmp_path / "exemptions.yaml"
        path.write_text(yaml.safe_dump(data))
        monkeypatch.setattr(rules, "EXEMPTIONS_FILE", path)
        rules.kinds.cache_clear()

    yield write
    rules.kinds.cache_clear()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["kinds"].update(permit=d["kinds"]["affb"]), "unknown kind 'permit'"),
        (
            lambda d: d["kinds"]["affb"]["terms"][0].update(source="nowhere"),
            "affb: each term needs a date and a source",
        ),
        (
            lambda d: d["kinds"]["affb"]["terms"][0].update(years=0),
            "affb: years must be a whole number or null",
        ),
        (
            lambda d: d["kinds"]["affb"]["terms"].append(dict(d["kinds"]["affb"]["terms"][0])),
            "affb: term dates must be strictly increasing",
        ),
        (
            lambda d: d["kinds"]["tefu"].update(carbon_levy_needs="permit"),
            "tefu: carbon_levy_needs names no kind",
        ),
        (lambda d: d["kinds"].pop("carbon_levy"), "every kind needs its rules"),
    ],
    ids=[
        "unknown kind",
        "term without source",
        "zero years",
        "dates not increasing",
        "needs no kind",
        "kind missing",
    ],
)
def test_a_broken_data_file_is_refused_naming_what_is_wrong(data_file, change, message):
    data_file(_broken(change))
    with pytest.raises(rules.ExemptionDataError, match=message):
        rules.kinds()


def test_the_shipped_data_file_is_read(data_file):
    data_file(GOOD)
    assert set(rules.kinds()) == set(rules.NUMBER_PATTERNS)
