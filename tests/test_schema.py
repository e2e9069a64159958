"""The JSON Schema of the policy format: shipped twice, identical, and true to the loader."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from outreach_rules import Policy

from conftest import shop_policy

DOCS = Path(__file__).parent.parent / "docs" / "policy.schema.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = Policy.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_docs_copy_is_the_shipped_schema():
    assert json.loads(DOCS.read_text(encoding="utf-8")) == Policy.json_schema()


def test_policies_the_loader_writes_are_valid(validator):
    assert list(validator.iter_errors(shop_policy().to_dict())) == []


def test_the_playbook_is_valid(validator):
    assert list(validator.iter_errors(Policy.default().to_dict())) == []


def test_an_extending_file_may_give_only_what_it_changes(validator):
    patch = {
        "name": "mine",
        "extends": "default",
        "remove": ["gift-season"],
        "intents": {"review_request": {"priority": 40}},
        "guards": [{"id": "contact-pressure", "frequency_cap": {"limit": 3, "period": "7 days"}}],
    }
    assert list(validator.iter_errors(patch)) == []


@pytest.mark.parametrize(
    ("mistake", "message"),
    [
        (
            {"intents": {"x": {"category": "marketting", "channels": ["email"]}}},
            "'marketting' is not one of",
        ),
        (
            {"intents": {"x": {"category": "marketing", "channels": ["emial"]}}},
            "'emial' is not one of",
        ),
        (
            {"guards": [{"id": "g", "frequency_cap": {"limt": 3, "period": "7 days"}}]},
            "'limt' was unexpected",
        ),
        ({"guards": [{"id": "g"}]}, "is not valid under any of the given schemas"),
        (
            {"guards": [{"id": "g", "annual_blackout": {"start": "13-01", "end": "12-26"}}]},
            "does not match",
        ),
        (
            {"triggers": [{"id": "t", "intent": "x", "on": "order_placed", "delay": "3 dayz"}]},
            "does not match",
        ),
        ({"triggers": [{"id": "t", "on": "order_placed"}]}, "'intent' is a required property"),
        (
            {"triggers": [{"id": "t", "intent": "x", "on": "order placed"}]},
            "'order placed' does not match",
        ),
        (
            {"intents": {"review request": {"category": "service", "channels": ["email"]}}},
            "'review request' does not match",
        ),
        (
            {"guards": [{"id": "g", "after_event": {"kind": "order delivered"}}]},
            "'order delivered' does not match",
        ),
        ({"colour": "blue"}, "'colour' was unexpected"),
    ],
)
def test_mistakes_the_loader_refuses_the_schema_flags_too(validator, mistake, message):
    data = {"name": "bad", **mistake}
    errors = [error.message for error in validator.iter_errors(data)]
    assert any(message in error for error in errors), errors
