"""Tests for asdm_models.commercial: procurement routes, the commercial section, risk allocation, payment mechanism.

Sources: Procurement Act 2023 (ss19-20 competitive tendering, s41 and Sch 5 direct award, Sch 2 para 2 vertical and
para 3 horizontal arrangements); Subsidy Control Act 2022; data/reference/procurement.yaml; HM Treasury, The Green
Book (2022) A5.10-A5.11 and Vose (2008) for the expected value of a risk, probability x (low + mode + high) / 3;
data/example_leisure/options/*.yaml for the figures the hand calculations use.
"""

from __future__ import annotations

from types import SimpleNamespace as NS

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import asdm_models
from asdm_models.assumptions import OPTION_MODELS
from asdm_models.commercial import (BEARERS, DEFAULT_PROCUREMENT_FILE, MODEL_TRANSFERS, STANDARD_TRANSFERS,
                                    Commercial, RiskShare, commercial_summary, default_commercial,
                                    load_procurement_routes, parse_commercial, payment_mechanism_sentence,
                                    risk_allocation_table)
from asdm_models.indexation import IndexSpec
from asdm_models.yamlio import read_yaml


@pytest.fixture(scope="module")
def routes():
    r, errors = load_procurement_routes()
    assert errors == []
    return r


@pytest.fixture(scope="module")
def leisure():
    return asdm_models.load_appraisal("data/example_leisure")


def _section(tmp_path, text: str, name: str = "opt.yaml"):
    """An option file holding ``text`` (YAML), read as the loader reads it: (doc, raw commercial section)."""
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    doc, errors = read_yaml(p, f"options/{name}")
    assert errors == []
    return doc, doc.data.get("commercial")


def _parse(tmp_path, text, model="trading_company", routes=None):
    doc, raw = _section(tmp_path, text)
    return parse_commercial(doc, ("commercial",), raw, option_model=model, routes=routes)


# ------------------------------------------------------------------------------------------------
# data/reference/procurement.yaml
# ------------------------------------------------------------------------------------------------

def test_reference_routes_and_their_legal_bases(routes):
    """The six routes of the brief, each with the section of the Procurement Act 2023 (or other law) it rests on."""
    assert set(routes.routes) == {"competitive_tendering", "vertical_arrangement", "horizontal_arrangement",
                                  "direct_award", "grant_or_non_contract", "no_procurement"}
    src = {k: r.source for k, r in routes.routes.items()}
    assert "ss19-20" in src["competitive_tendering"]
    assert "Sch 2 para 2" in src["vertical_arrangement"] and "Teckal" in src["vertical_arrangement"]
    assert "Sch 2 para 3" in src["horizontal_arrangement"]
    assert "s41" in src["direct_award"] and "Sch 5" in src["direct_award"]
    assert "Subsidy Control Act 2022" in src["grant_or_non_contract"]
    # the activity tests as the Act states them: more than 80% for the controlling authority, at most 20% for others
    assert "more than 80%" in routes.routes["vertical_arrangement"].legal_basis
    assert "no more than 20%" in routes.routes["horizontal_arrangement"].legal_basis
    for r in routes.routes.values():
        assert r.label and r.legal_basis and r.source


def test_reference_default_route_of_every_model(routes):
    """The defaults the brief lists, one per option model."""
    assert routes.defaults_by_model == {
        "no_change": "no_procurement", "in_house_redesign": "no_procurement",
        "trading_company": "vertical_arrangement", "public_integration": "horizontal_arrangement",
        "shared_service": "horizontal_arrangement", "outsourcing": "competitive_tendering",
        "joint_venture": "competitive_tendering", "social_enterprise": "competitive_tendering"}
    assert set(routes.defaults_by_model) == set(OPTION_MODELS)
    assert routes.file == "data/reference/procurement.yaml"
    assert DEFAULT_PROCUREMENT_FILE.exists()


def test_broken_procurement_file_reports_every_problem_with_its_line(tmp_path):
    text = DEFAULT_PROCUREMENT_FILE.read_text(encoding="utf-8")
    text = text.replace("  direct_award:\n    label: Direct award\n", "  direct_award:\n    lable: Direct award\n")
    text = text.replace("  outsourcing: competitive_tendering\n", "  outsourcing: competitive_tender\n")
    text = text.replace("  no_change: no_procurement\n", "  no_chnage: no_procurement\n")
    text += "extra: 1\n"
    p = tmp_path / "procurement.yaml"
    p.write_text(text, encoding="utf-8")
    r, errors = load_procurement_routes(p)
    assert r is None
    msgs = [str(e) for e in errors]
    assert all(e.line for e in errors), msgs
    assert any("routes.direct_award.lable" in m and "did you mean 'label'" in m for m in msgs)
    assert any("routes.direct_award.label" in m and "missing" in m for m in msgs)
    assert any("defaults_by_model.outsourcing" in m and "did you mean 'competitive_tendering'" in m for m in msgs)
    assert any("defaults_by_model.no_chnage" in m and "unknown option model" in m for m in msgs)
    assert any("no default route for no_change" in m for m in msgs)
    assert any(e.field == "extra" for e in errors)


def test_procurement_file_that_is_not_a_mapping(tmp_path):
    p = tmp_path / "procurement.yaml"
    p.write_text("- a list\n", encoding="utf-8")
    r, errors = load_procurement_routes(p)
    assert r is None and len(errors) == 1 and "mapping" in errors[0].message


# ------------------------------------------------------------------------------------------------
# parse_commercial
# ------------------------------------------------------------------------------------------------

def test_example_sections_parse(leisure, routes):
    """Every option of the leisure example states a valid commercial section."""
    for o in leisure.options.values():
        doc, _ = read_yaml(leisure.data_dir / "options" / f"{o.id}.yaml", o.file)
        c, errors = parse_commercial(doc, ("commercial",), doc.data.get("commercial"), option_model=o.model,
                                     routes=routes)
        assert errors == [], o.id
    doc, _ = read_yaml(leisure.data_dir / "options" / "trading_company.yaml", "tc")
    c, _ = parse_commercial(doc, ("commercial",), doc.data["commercial"], option_model="trading_company",
                            routes=routes)
    assert c.procurement_route == "vertical_arrangement" and not c.is_default
    assert c.contract_length_years == 10
    assert c.break_clause.startswith("The council may terminate on 12 months' notice")
    assert [s.bearer for s in c.risk_allocation] == ["provider", "provider", "council", "shared", "shared"]
    assert c.risk_allocation[0] == RiskShare("Demand and fees income", "provider",
                                             "The company keeps fees and trading income")


def test_no_section_is_the_models_default(routes, tmp_path):
    doc, _ = _section(tmp_path, "id: x\n")
    c, errors = parse_commercial(doc, ("commercial",), None, option_model="shared_service", routes=routes)
    assert errors == [] and c == Commercial("horizontal_arrangement", is_default=True)
    assert default_commercial("outsourcing", routes).procurement_route == "competitive_tendering"
    # a section without a route takes the default too, and says so
    c, errors = _parse(tmp_path, "commercial:\n  contract_length_years: 7\n", model="outsourcing", routes=routes)
    assert errors == [] and c.is_default and c.procurement_route == "competitive_tendering"
    assert c.contract_length_years == 7


def test_unknown_route_suggests_and_lists(routes, tmp_path):
    c, errors = _parse(tmp_path, "commercial:\n  procurement_route: vertical_arangement\n", routes=routes)
    assert c is None and len(errors) == 1
    e = errors[0]
    assert (e.file, e.field, e.line) == ("options/opt.yaml", "commercial.procurement_route", 2)
    assert "did you mean 'vertical_arrangement'?" in e.message and "direct_award" in e.message


def test_unknown_key_refused(routes, tmp_path):
    c, errors = _parse(tmp_path, "commercial:\n  procurement_route: vertical_arrangement\n  break_clase: x\n",
                       routes=routes)
    assert c is None
    assert [(e.field, e.line) for e in errors] == [("commercial.break_clase", 3)]
    assert "did you mean 'break_clause'?" in errors[0].message


@pytest.mark.parametrize("length", ["0", "-3", "2.5", "true", "'ten'"])
def test_contract_length_must_be_a_positive_whole_number(routes, tmp_path, length):
    c, errors = _parse(tmp_path, f"commercial:\n  contract_length_years: {length}\n", routes=routes)
    assert c is None
    assert [e.field for e in errors] == ["commercial.contract_length_years"]
    assert "whole number of years, 1 or more" in errors[0].message


def test_contract_longer_than_the_period_is_allowed(routes, tmp_path):
    """The leisure appraisal runs 10 years; a 25-year contract is valid (the appraisal covers its first years)."""
    c, errors = _parse(tmp_path, "commercial:\n  contract_length_years: 25\n", routes=routes)
    assert errors == [] and c.contract_length_years == 25


def test_bearer_must_be_council_provider_or_shared(routes, tmp_path):
    text = ("commercial:\n  risk_allocation:\n    - {risk: Demand, bearer: contractor}\n"
            "    - {risk: Energy, bearer: shard}\n    - {risk: Pay, bearer: council, colour: red}\n"
            "    - {bearer: council}\n    - {risk: demand, bearer: provider}\n")
    c, errors = _parse(tmp_path, text, routes=routes)
    assert c is None
    by_field = {(e.field, e.line): e.message for e in errors}
    assert "use council, provider or shared" in by_field[("commercial.risk_allocation[#1].bearer", 3)]
    assert "did you mean 'shared'?" in by_field[("commercial.risk_allocation[#2].bearer", 4)]
    assert ("commercial.risk_allocation[#3].colour", 5) in by_field
    assert "name the risk" in by_field[("commercial.risk_allocation[#4].risk", 6)]
    assert "already allocated in row 1" in by_field[("commercial.risk_allocation[#5].risk", 7)]
    assert len(errors) == 5  # all of them at once
    assert set(BEARERS) == {"council", "provider", "shared"}


def test_route_must_fit_the_model(routes, tmp_path):
    c, errors = _parse(tmp_path, "commercial:\n  procurement_route: no_procurement\n", model="outsourcing",
                       routes=routes)
    assert c is None and "has a provider to contract with" in errors[0].message
    assert "competitive_tendering" in errors[0].message
    c, errors = _parse(tmp_path, "commercial:\n  procurement_route: direct_award\n", model="no_change",
                       routes=routes)
    assert c is None and "no_procurement" in errors[0].message


def test_text_fields_must_be_text(routes, tmp_path):
    c, errors = _parse(tmp_path, "commercial:\n  lawful_basis: 12\n  exit_terms: ''\n  payment_mechanism: [a]\n",
                       routes=routes)
    assert c is None
    assert [e.field for e in errors] == ["commercial.lawful_basis", "commercial.exit_terms",
                                         "commercial.payment_mechanism"]


def test_section_not_a_mapping(routes, tmp_path):
    c, errors = _parse(tmp_path, "commercial: vertical_arrangement\n", routes=routes)
    assert c is None and errors[0].line == 1 and "expected a mapping" in errors[0].message


# ------------------------------------------------------------------------------------------------
# risk_allocation_table
# ------------------------------------------------------------------------------------------------

def test_risk_allocation_trading_company_by_hand(leisure, routes):
    """Risk register of data/example_leisure/options/trading_company.yaml:
    pool_plant_failure  0.35 x (120,000 + 250,000 + 600,000) / 3 = 0.35 x 323,333.33 = 113,166.67 (council)
    tupe_pension_challenge 0.20 x (50,000 + 150,000 + 400,000) / 3 = 0.20 x 200,000 = 40,000 (provider)
    commercial_income_slow 0.40 x (100,000 + 200,000 + 450,000) / 3 = 0.40 x 250,000 = 100,000 (provider)
    """
    o = leisure.options["trading_company"]
    doc, _ = read_yaml(leisure.data_dir / "options" / "trading_company.yaml", "tc")
    c, _ = parse_commercial(doc, ("commercial",), doc.data["commercial"], option_model=o.model, routes=routes)
    t = risk_allocation_table(o, c)
    reg = t[t["source"] == "risk register"]
    assert reg["expected_cost_gbp"].tolist() == pytest.approx([113_166.6667, 40_000.0, 100_000.0], abs=0.01)
    assert reg["bearer"].tolist() == ["council", "provider", "provider"]
    com = t[t["source"] == "commercial"]
    assert com["risk"].tolist()[0] == "Demand and fees income" and com["note"].tolist()[0].startswith("The company")
    assert com["expected_cost_gbp"].isna().all()
    std = t[t["source"] == "standard for the model"]
    # the stated "Pay awards above the fee's indexation" restates the standard row, which is left out
    assert not std["risk"].str.contains("pay awards above", case=False).any()
    assert "Losses and funding of the company (the council is its sole shareholder)" in std["risk"].tolist()
    assert list(t.columns) == ["risk", "bearer", "expected_cost_gbp", "mitigation", "note", "source"]
    assert set(t["bearer"]) <= set(BEARERS)


def test_in_house_standard_transfers_are_all_council():
    o = NS(model="in_house_redesign", risks=(), drivers={})
    t = risk_allocation_table(o, None)
    assert len(t) == len(STANDARD_TRANSFERS["in_house"]) and set(t["bearer"]) == {"council"}
    assert set(t["source"]) == {"standard for the model"}


def test_standard_transfers_for_a_provider_option():
    o = NS(model="outsourcing", risks=(), drivers={})
    t = risk_allocation_table(o, Commercial("competitive_tendering"))
    row = t[t["risk"] == "Staff costs and pay awards above the fee's indexation"]
    assert row["bearer"].tolist() == ["provider"]
    assert len(t) == len(STANDARD_TRANSFERS["contractor"]) + len(MODEL_TRANSFERS.get("outsourcing", ()))


@pytest.mark.parametrize("basket, bearer", [((("pay", 1.0),), "council"), ((("pay", 0.65), ("cpi", 0.35)), "shared"),
                                            ((("cpi", 1.0),), "provider")])
def test_fee_indexed_to_pay_moves_pay_risk(basket, bearer):
    """A fee indexed to pay passes pay awards to the council (all of it) or shares them (part of a basket)."""
    fee = NS(value=3_000_000.0, index=IndexSpec(basket))
    o = NS(model="social_enterprise", risks=(), drivers={"management_fee_gbp": fee})
    t = risk_allocation_table(o, None)
    assert t.loc[t["risk"] == "Staff costs and pay awards above the fee's indexation", "bearer"].tolist() == [bearer]


@settings(max_examples=100, deadline=None)
@given(p=st.floats(0, 1), low=st.floats(0, 1e6), d1=st.floats(0, 1e6), d2=st.floats(0, 1e6))
def test_expected_cost_is_probability_times_triangular_mean(p, low, d1, d2):
    """For every risk: EV = p (low + ml + high) / 3, and so p x low <= EV <= p x high."""
    ml, high = low + d1, low + d1 + d2
    r = NS(description="r", borne_by="council", probability=p, impact_low_gbp=low, impact_most_likely_gbp=ml,
           impact_high_gbp=high, mitigation=None)
    ev = risk_allocation_table(NS(model="outsourcing", risks=(r,), drivers={}), None)["expected_cost_gbp"][0]
    assert ev == pytest.approx(p * (low + ml + high) / 3, rel=1e-12, abs=1e-9)
    assert p * low - 1e-6 <= ev <= p * high + 1e-6


# ------------------------------------------------------------------------------------------------
# payment_mechanism_sentence and commercial_summary
# ------------------------------------------------------------------------------------------------

def test_payment_mechanism_outsourcing_example(leisure):
    """outsourcing.yaml: fee £3,580,000, indexed to CPI capped at 4%, real change -1.5%, go-live 2028-29."""
    o = leisure.options["outsourcing"]
    s = payment_mechanism_sentence(o, o.drivers, first_year=leisure.first_year)
    assert s == ("Annual contract price of £3,580,000 in the first contract year (2028-29, at the price base), "
                 "indexed to CPI with a cap of 4.00%, falling 1.5% a year against that index after the first year.")


def test_payment_mechanism_trading_company_fbc(leisure):
    """FBC restates the fee as £3,600,000; the GDP deflator default with 0% real change keeps it constant in real
    terms; go-live from the appraisal's default year index 1 (2027-28)."""
    o = leisure.options["trading_company"]
    stage = dict(o.drivers)
    stage["management_fee_gbp"] = o.fbc_changes["management_fee_gbp"]
    s = payment_mechanism_sentence(o, stage, first_year=2026, go_live_year=1)
    assert s == ("Annual management fee of £3,600,000 in the first contract year (2027-28, at the price base), "
                 "indexed to the GDP deflator, so constant in real terms.")


def test_payment_mechanism_variants():
    o = NS(model="joint_venture", drivers={"management_fee_gbp": NS(value=3_910_000.0, index=None),
                                           "management_fee_real_change": NS(value=-0.01, index=None)})
    assert payment_mechanism_sentence(o).endswith("indexed to the GDP deflator, falling 1.0% a year in real terms "
                                                  "after the first year.")
    o = NS(model="shared_service", drivers={"management_fee_gbp": NS(value=100.0, index=IndexSpec((("none", 1.0),)))})
    assert "payment to the partner of £100" in payment_mechanism_sentence(o)
    assert "fixed in cash (not indexed)" in payment_mechanism_sentence(o)
    o = NS(model="outsourcing", drivers={"management_fee_gbp": NS(
        value=1.0, index=IndexSpec((("pay", 0.7), ("cpi", 0.3)), cap=0.05, collar=0.0))})
    assert "indexed to 70% pay inflation and 30% CPI with a cap of 5.00% and a collar of 0.00%" in \
        payment_mechanism_sentence(o)
    assert payment_mechanism_sentence(NS(model="outsourcing", drivers={})).startswith("No contract price is stated")
    assert payment_mechanism_sentence(NS(model="no_change", drivers={})) == (
        "The council keeps running the service: no payment mechanism (its costs stay in its own budget).")


def test_commercial_summary_rows(leisure, routes):
    o = leisure.options["outsourcing"]
    doc, _ = read_yaml(leisure.data_dir / "options" / "outsourcing.yaml", "o")
    c, _ = parse_commercial(doc, ("commercial",), doc.data["commercial"], option_model=o.model, routes=routes)
    t = commercial_summary(o, c, routes, first_year=leisure.first_year, tupe_pensions="142 FTE transfer; bond")
    v = t.set_index("field")["value"]
    assert list(t.columns) == ["field", "value"]
    assert list(v.index) == ["Procurement route", "Legal basis", "Source", "Why lawful here", "Contract length",
                             "Break clause", "Exit terms", "Payment mechanism", "TUPE and pensions"]
    assert v["Procurement route"] == "Competitive tendering"
    assert v["Why lawful here"].startswith("A competitive flexible procedure")
    assert v["Contract length"] == "10 years"
    assert v["Exit terms"] == o.exit_strategy  # no exit_terms stated: the option's exit strategy
    assert v["Payment mechanism"].startswith("Fixed annual contract price with deductions for performance failures. "
                                             "Annual contract price of £3,580,000")
    assert v["TUPE and pensions"] == "142 FTE transfer; bond"


def test_commercial_summary_default_and_in_house(routes):
    o = NS(model="in_house_redesign", drivers={}, exit_strategy="", pension_arrangement=None)
    v = commercial_summary(o, None, routes).set_index("field")["value"]
    assert "the default for a in_house_redesign option" in v["Procurement route"]
    assert v["Contract length"] == "no contract" and v["Exit terms"] == "not stated"
    assert v["TUPE and pensions"].startswith("No transfer")
    o = NS(model="trading_company", drivers={}, exit_strategy="", pension_arrangement="admission_agreement_bond")
    v = commercial_summary(o, Commercial("vertical_arrangement"), routes).set_index("field")["value"]
    assert v["Contract length"] == "not stated" and "default" not in v["Procurement route"]
    assert v["TUPE and pensions"].startswith("To be completed") and "admission_agreement_bond" in v["TUPE and pensions"]
