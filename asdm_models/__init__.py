"""asdm_models: appraisal engine for alternative service delivery models in UK local government.

Public API (stable; other work and outside checks call these names)::

    load_appraisal(path)                        -> Appraisal
    discount_factors(n_years, schedule="green_book")
    npv(cashflows, factors)                     # over the last axis, any leading shape
    appraise(appraisal, option, stage)          -> OptionAppraisal
"""

from .adjustments import optimism_bias_uplift, risk_expected_value, triangular_mean
from .appraisal import HEADLINE_COLUMNS, OptionAppraisal, appraise, appraise_all, build_inputs
from .assumptions import OPTION_MODELS, Appraisal, Option, load_appraisal
from .discounting import discount_factors, npv, real_growth_index, to_nominal, to_real
from .errors import AsdmError, DataError, DataErrors, RunError, ScenarioError
from .metrics import benefit_cost_ratio, irr, payback_index
from .reference import PROJECT_ROOT
from .viability import breakeven_index, cash_balance, peak_funding

__version__ = "0.1.0"

__all__ = [
    "load_appraisal", "discount_factors", "npv", "appraise", "appraise_all", "build_inputs",
    "to_nominal", "to_real", "real_growth_index", "optimism_bias_uplift", "risk_expected_value", "triangular_mean",
    "payback_index", "irr", "benefit_cost_ratio", "breakeven_index", "peak_funding", "cash_balance",
    "Appraisal", "Option", "OptionAppraisal", "OPTION_MODELS", "HEADLINE_COLUMNS",
    "AsdmError", "DataError", "DataErrors", "ScenarioError", "RunError", "PROJECT_ROOT", "__version__",
]
