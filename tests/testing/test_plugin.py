"""The pytest plugin, from the outside: a user's project, with outreach-rules installed and
nothing imported, gets the fixtures; its ini options choose the policy and ``now``; a
project that does not use it sees no difference; and it works without hypothesis."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytest_plugins = ["pytester"]

USERS_TEST = """
    from outreach_rules import Channel, plan
    from outreach_rules.testing import assert_scheduled, assert_within_hours


    def test_a_review_request_after_delivery(
        outreach_policy, make_customer, make_history, frozen_now
    ):
        customer = make_customer(timezone="America/New_York", country="US-NY")
        history = make_history(
            ("order_placed", "2026-05-25T14:00:00Z", "o1"),
            {"kind": "order_delivered", "at": "2026-05-29T14:00:00Z", "ref": "o1"},
        )
        result = plan(outreach_policy, customer, history, now=frozen_now)

        assert_scheduled(result, "review_request", "o1", channel="email",
                         between=("2026-06-01 10:00", "2026-06-01 10:00"))
        assert_within_hours(result, "09:00", "20:00")


    def test_the_fixtures_defaults(outreach_policy, make_customer, make_history, frozen_now):
        assert outreach_policy.name == "default"
        assert frozen_now.now().isoformat() == "2026-06-01T09:00:00+00:00"
        customer = make_customer()
        assert (customer.id, customer.timezone, customer.country) == ("c1", "Europe/London", "GB")
        assert customer.channels == {Channel.EMAIL, Channel.SMS, Channel.PHONE}
        [event] = make_history(("order_placed", "2026-06-01T10:00:00Z", "o1", {"gift": True}))
        assert (event.customer, event.ref, event.data["gift"]) == ("c1", "o1", True)
        [broadcast] = make_history(("channel_down", "2026-06-01T10:00:00Z"), customer=None)
        assert broadcast.customer is None
"""

SHOP_POLICY = """
    name = "shop"
    extends = "default"

    [[guards]]
    id = "quiet-hours"
    channels = ["email", "sms", "push", "in_app"]
    allowed_hours = [{ start = "10:00", end = "18:00", days = "every day" }]
"""


def test_a_users_tests_get_the_fixtures_without_importing_them(pytester):
    pytester.makepyfile(test_outreach=USERS_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=2)


def test_the_ini_options_choose_the_policy_and_now(pytester):
    pytester.mkdir("policies")
    pytester.path.joinpath("policies", "shop.toml").write_text(textwrap.dedent(SHOP_POLICY))
    pytester.makeini(
        """
        [pytest]
        outreach_policy = policies/shop.toml
        outreach_now = 2026-12-14T09:30:00Z
        """
    )
    pytester.makepyfile(
        test_shop="""
        from outreach_rules import plan
        from outreach_rules.testing import assert_scheduled

        def test_the_shops_policy_at_its_now(outreach_policy, make_customer, make_history,
                                             frozen_now):
            assert outreach_policy.name == "shop"
            assert frozen_now.now().isoformat() == "2026-12-14T09:30:00+00:00"
            history = make_history(("concern_raised", "2026-12-14T09:00:00Z", "q1"))
            result = plan(outreach_policy, make_customer(), history, now=frozen_now)
            # The shop's quiet hours start at 10:00, not the playbook's 09:00.
            assert_scheduled(result, "concern_reply", "q1", between=("10:00", "10:00"))

        def test_each_test_gets_its_own_clock(frozen_now):
            frozen_now.advance(days=1)
            assert frozen_now.now().isoformat() == "2026-12-15T09:30:00+00:00"

        def test_each_test_gets_its_own_clock_again(frozen_now):
            assert frozen_now.now().isoformat() == "2026-12-14T09:30:00+00:00"
        """
    )
    result = pytester.runpytest_subprocess("--strict-config")
    result.assert_outcomes(passed=3)


BAD_INI_TESTS = """
def test_policy(outreach_policy):
    pass

def test_untouched():
    pass
"""


def test_a_policy_file_that_does_not_exist_is_one_usage_error_at_start_up(pytester):
    pytester.makeini("[pytest]\noutreach_policy = policies/missing.toml\n")
    pytester.makepyfile(test_bad=BAD_INI_TESTS)
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*outreach_policy = policies/missing.toml: there is no file *"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
    assert result.stderr.str().count("ERROR:") == 1


def test_a_now_that_is_no_instant_is_one_usage_error_at_start_up(pytester):
    pytester.makeini("[pytest]\noutreach_now = 2026-12-14 09:30\n")
    pytester.makepyfile(test_bad=BAD_INI_TESTS)
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*outreach_now = 2026-12-14 09:30:*has no UTC offset*"])


def test_a_policy_file_that_cannot_be_loaded_fails_the_tests_that_use_it(pytester):
    pytester.makeini("[pytest]\noutreach_policy = broken.toml\n")
    pytester.path.joinpath("broken.toml").write_text("name = \n", encoding="utf-8")
    pytester.makepyfile(test_bad=BAD_INI_TESTS)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*broken.toml*"])


def test_a_project_that_does_not_use_it_sees_no_difference(pytester):
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    with_plugin = pytester.runpytest_subprocess("--strict-config")
    without = pytester.runpytest_subprocess("--strict-config", "-p", "no:outreach_rules")
    with_plugin.assert_outcomes(passed=1)
    without.assert_outcomes(passed=1)
    # Same header: the plugin adds no report lines of its own.
    header = [line for line in with_plugin.outlines if line.startswith(("platform", "rootdir"))]
    assert header == [line for line in without.outlines if line.startswith(("platform", "rootdir"))]


def test_it_can_be_turned_off(pytester):
    pytester.makepyfile(test_off="def test_off(make_customer):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:outreach_rules")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'make_customer' not found*"])


def test_it_works_without_hypothesis(pytester, monkeypatch):
    # A hypothesis that cannot be imported stands for one that is not installed.
    blocked = pytester.mkdir("blocked")
    blocked.joinpath("hypothesis").mkdir()
    blocked.joinpath("hypothesis", "__init__.py").write_text(
        "raise ModuleNotFoundError('No module named hypothesis', name='hypothesis')\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(blocked))
    pytester.makepyfile(
        test_outreach=USERS_TEST
        + """

    def test_hypothesis_is_out_of_reach():
        import pytest
        with pytest.raises(ImportError, match=r"pip install 'outreach-rules\\[testing\\]'"):
            from outreach_rules.testing import customers  # noqa: F401
    """
    )
    result = pytester.runpytest_subprocess("-p", "no:hypothesispytest")
    result.assert_outcomes(passed=3)


def test_loading_the_plugin_imports_neither_hypothesis_nor_the_strategies():
    code = (
        "import sys, outreach_rules.testing.plugin\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'hypothesis'"
        " or m == 'outreach_rules.testing.strategies'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_fixtures_are_listed_with_their_docs(pytester):
    result = pytester.runpytest_subprocess("--fixtures")
    for fixture in ("outreach_policy", "make_customer", "make_history", "frozen_now"):
        result.stdout.fnmatch_lines([f"{fixture}*outreach_rules*plugin.py*"])
    result.stdout.fnmatch_lines(["*A factory of customers*"])


# --- the fixtures, as this project's own tests use them ---------------------------------------


def test_make_history_takes_every_kind_of_item(make_history, make_customer):
    from outreach_rules import Contact, Event  # noqa: PLC0415 - the fixtures need no import

    ada = make_customer(id="ada")
    given = Event(kind="review_submitted", at="2026-06-04T10:00:00Z", customer="ada", ref="o1")
    history = make_history(
        ("order_placed", "2026-06-01T10:00:00Z"),
        ("order_delivered", "2026-06-03T10:00:00Z", "o1"),
        {"kind": "channel_down", "at": "2026-06-02T10:00:00Z", "data": {"channel": "web"}},
        {"kind": "channel_restored", "at": "2026-06-02T11:00:00Z", "customer": None},
        given,
        Contact(intent="welcome", channel="email", at="2026-06-01T09:00:00Z", customer="ada"),
        customer=ada,
    )
    assert [(e.kind, e.customer, e.ref) for e in history] == [
        ("order_placed", "ada", None),
        ("order_delivered", "ada", "o1"),
        ("channel_down", "ada", None),
        ("channel_restored", None, None),
        ("review_submitted", "ada", "o1"),
        ("contact_sent", "ada", None),
    ]
    assert history[2].data == {"channel": "web"}
    assert history[4] is given


def test_make_history_and_make_customer_name_what_is_wrong(make_history, make_customer):
    from outreach_rules import InputError  # noqa: PLC0415

    with pytest.raises(InputError, match=r"items\[1\]=\['order_placed'\]: must be an Event"):
        make_history(("order_placed", "2026-06-01T10:00:00Z"), ["order_placed"])
    with pytest.raises(InputError, match=r"items\[0\]\.at='2026-06-01 10:00'"):
        make_history(("order_placed", "2026-06-01 10:00"))
    with pytest.raises(InputError, match=r"timezon.*did you mean 'timezone'"):
        make_customer(timezon="Europe/Paris")


def test_this_projects_fixtures_come_from_the_plugin(pytestconfig):
    import conftest  # noqa: PLC0415

    plugin = pytestconfig.pluginmanager.get_plugin("outreach_rules")
    assert plugin is not None
    assert plugin.__name__ == "outreach_rules.testing.plugin"
    for name in ("outreach_policy", "make_customer", "make_history", "frozen_now"):
        assert not hasattr(conftest, name), name
