"""Root conftest: names the doctests in asdm_models use (numpydoc Examples run as doctests)."""

import numpy as np
import pytest

import asdm_models


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    doctest_namespace["np"] = np
    doctest_namespace["PROJECT_ROOT"] = asdm_models.PROJECT_ROOT
    for name in asdm_models.__all__:
        doctest_namespace[name] = getattr(asdm_models, name)
