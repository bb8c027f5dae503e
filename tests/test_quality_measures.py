"""The measures that say how close generated digits are to real ones (issue 30): KID is unbiased
(two samples of one distribution score about 0, a shifted one far more), the stray-ink share
finds a dot beside a stroke, the memorisation check finds a copy, and the GAN vs VAE vs diffusion
table puts real digits measured alike beside the models (none of them better than real)."""
import dataclasses
import json

import pytest
import torch

from genai import checkpoints, metrics


def test_kid_is_about_zero_for_one_distribution_and_grows_with_a_shift():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(600, 16, generator=g), torch.randn(600, 16, generator=g)
    same, shifted = metrics.kid(a, b, subsets=20, size=300), metrics.kid(a, b + 0.5, subsets=20, size=300)
    assert abs(same) < 0.05 * shifted and shifted > 0


def test_stray_ink_counts_a_dot_beside_the_stroke_and_not_the_stroke():
    x = torch.zeros(2, 1, 28, 28)
    x[:, 0, 5:20, 13:15] = 1.0  # one stroke, 30 pixels
    x[1, 0, 25, 2] = 1.0  # and a stray dot in the second image
    assert metrics.stray_share(x[:1]) == 0
    assert metrics.stray_share(x) == 1 / 61


@pytest.mark.parametrize("seed", range(5))
def test_a_copy_of_a_training_digit_is_at_distance_zero(seed):
    g = torch.Generator().manual_seed(seed)
    train = torch.rand(50, 1, 28, 28, generator=g)
    x = torch.cat([train[7:8], torch.rand(1, 1, 28, 28, generator=g)])
    d = metrics.nearest_distances(x, train)
    assert d[0] < 1e-5 and d[1] > 1


def test_the_shipped_table_measures_real_digits_alike_and_no_model_beats_them():
    table = json.loads((checkpoints.SHIPPED_DIR / "image_models.json").read_text())
    rows = {r["checkpoint"] or r["model"].split(" (")[0]: r for r in table["rows"]}
    real = rows["real digits"]
    assert real["fid_floor"] == 1.0 and table["reference"] == "1000 held-out digits"
    models = [r for r in table["rows"] if r["checkpoint"]]
    assert len(models) >= 5 and all(r["fid"] > real["fid"] and r["fid_floor"] > 1 for r in models)
    # the old "floor" (training digits) was no floor: the classifier tells digits it learned from
    assert rows["training digits"]["fid"] > real["fid"]


def test_a_named_data_sets_held_out_features_are_computed_once_a_process(digits):
    clf = metrics.load_classifier()
    if clf is None:
        pytest.skip("no shipped classifier")
    first, again = metrics.SampleQuality(clf, digits, 300), metrics.SampleQuality(clf, digits, 300)
    assert again.real_features is first.real_features
    assert torch.allclose(first.real_features, clf.embed(digits.heldout_float(300)[0])[1])
    upload = dataclasses.replace(digits, name="uploaded", heldout_x=digits.heldout_x.clone())  # not kept
    other = metrics.SampleQuality(clf, upload, 300)
    assert other.real_features is not first.real_features
    assert torch.equal(other.real_features, first.real_features)
