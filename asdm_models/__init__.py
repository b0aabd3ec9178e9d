"""asdm_models: appraisal engine for alternative service delivery models in UK local government.

Public API (stable; other work and outside checks call these names)::

    load_appraisal(path)                        -> Appraisal
    discount_factors(n_years, schedule="green_book")
    npv(cashflows, factors)                     # over the last axis, any leading shape
    appraise(appraisal, option, stage)          -> OptionAppraisal
    tornado / switching_values / monte_carlo    sensitivity and Monte Carlo entry points
    run_batch / verify_run                      the API behind ``asdm run`` and ``asdm verify``
"""

from .adjustments import optimism_bias_uplift, risk_expected_value, triangular_mean
from .appraisal import HEADLINE_COLUMNS, OptionAppraisal, appraise, appraise_all, build_inputs
from .assumptions import OPTION_MODELS, Appraisal, Option, load_appraisal
from .discounting import discount_factors, npv, real_growth_index, to_nominal, to_real
from .errors import AsdmError, DataError, DataErrors, RunError, ScenarioError
from .metrics import benefit_cost_ratio, irr, payback_index
from .reference import PROJECT_ROOT
from .viability import breakeven_index, cash_balance, peak_funding
from .montecarlo import MonteCarloResult, monte_carlo, monte_carlo_all
from .sensitivity import (best_option_switching, optimism_bias_sensitivity, scenario_table, switching_values, tornado,
                          two_way_grid)
from .gates import evaluate_gate, success_factor_filter
from .business_case import business_case, options_overview
from .batch import run_batch, verify_run

__version__ = "0.1.0"

__all__ = [
    "load_appraisal", "discount_factors", "npv", "appraise", "appraise_all", "build_inputs",
    "to_nominal", "to_real", "real_growth_index", "optimism_bias_uplift", "risk_expected_value", "triangular_mean",
    "payback_index", "irr", "benefit_cost_ratio", "breakeven_index", "peak_funding", "cash_balance",
    "Appraisal", "Option", "OptionAppraisal", "OPTION_MODELS", "HEADLINE_COLUMNS",
    "AsdmError", "DataError", "DataErrors", "ScenarioError", "RunError", "PROJECT_ROOT", "__version__",
    "monte_carlo", "monte_carlo_all", "MonteCarloResult", "tornado", "switching_values", "best_option_switching",
    "two_way_grid", "scenario_table", "optimism_bias_sensitivity", "evaluate_gate", "success_factor_filter",
    "business_case", "options_overview", "run_batch", "verify_run",
]
