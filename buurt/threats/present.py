"""Put the threat summary and the street's readiness into words.

Shared by the threats page and `GET /api/v1/threats`, so that both say the
same thing in the member's language. Counts that come from health details
(households depending on medical equipment, households that need help) are
given to coordinators only.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_datetime
from babel.lists import format_list
from flask_babel import (format_decimal, format_percent, format_timedelta,
                         get_locale, gettext as _, lazy_gettext as _l,
                         ngettext)
from sqlmodel import Session

from buurt.config import Settings
from buurt.db import cached
from buurt.readiness.service import compute_readiness
from buurt.threats import service, street
from buurt.threats.models import SyncAttempt
from buurt.threats.service import Current, RankedThreat
from buurt.threats.street import Advice

VITAL_NAMES = {
    "power": _l("electricity"),
    "drinking_water": _l("drinking water"),
    "telecom": _l("telecom and internet"),
    "payments": _l("payments"),
    "healthcare": _l("healthcare"),
    "food": _l("food"),
    "transport": _l("transport"),
}

ESSENTIAL_NAMES = {
    "drinking_water": _l("drinking water"),
    "cooking": _l("cooking"),
    "information": _l("information"),
    "communication": _l("communication in the street"),
    "power": _l("power"),
    "first_aid": _l("first aid"),
    "warmth": _l("warmth"),
    "transport": _l("transport"),
}

DRILL_ACTIONS = {
    "power": _l("plan a power-outage drill"),
    "water": _l("plan a water-outage drill"),
    "internet": _l("plan an internet-outage drill"),
    "payments": _l("plan a drill without payment systems"),
    "custom": _l("plan a drill with a scenario of your own"),
}

LEVELS = {
    1: _l("Low threat: prepare, monitor, stay alert"),
    2: _l("Rising threat: additional measures"),
    3: _l("High threat: the heaviest interventions"),
}

CHECKLIST_TEXT = {
    "know_meeting_point": _l("Know the street's meeting point and the "
                             "municipality's emergency support point."),
    "store_water": _l("Keep 3 litres of drinking water per person per day, "
                      "for 3 days."),
    "battery_radio": _l("Have a battery or wind-up radio and know the "
                        "emergency station."),
    "know_buddy": _l("Know which neighbour checks on you, and whom you "
                     "check on."),
    "keep_cash": _l("Keep some cash at home."),
    "check_shared_items": _l("Check the shared items: water tank filled, "
                             "batteries charged, gas for the burner."),
    "paper_plan": _l("Keep a printed copy of the neighbourhood plan."),
    "power_backup": _l("Make sure every household with medical equipment "
                       "has a power backup arranged."),
    "charge_power_banks": _l("Keep phones and power banks charged."),
    "fill_water_now": _l("Fill your water containers now."),
    "visit_buddy": _l("Check on your buddy household today."),
    "listen_to_radio": _l("Listen to the emergency station for "
                          "instructions."),
    "medication_at_hand": _l("Keep medication and the plan within reach."),
}

REASONS = {
    "timeout": _l("The publisher did not answer in time."),
    "unreachable": _l("The publisher could not be reached (no internet?)."),
    "http_error": _l("The publisher answered with an error."),
    "truncated": _l("The download broke off before it was complete."),
    "too_large": _l("The download was larger than allowed."),
    "not_json": _l("What came back was not a summary (perhaps a Wi-Fi "
                   "login page)."),
    "bad_envelope": _l("The file is not a signed summary."),
    "missing_signature": _l("The summary carries no signature."),
    "unknown_key": _l("The summary was signed with a key this node does not "
                      "trust."),
    "bad_signature": _l("The signature does not match: the summary may have "
                        "been altered."),
    "wrong_schema_version": _l("The summary is in a format version this "
                               "node cannot read; update buurt."),
    "invalid_summary": _l("The summary's content is not valid."),
    "expired": _l("The summary has already expired."),
    "rollback": _l("The summary is not newer than the one this node has."),
    "unreadable_file": _l("The file could not be read."),
}

OUTCOMES = {
    "accepted": _l("accepted"),
    "not_modified": _l("no newer summary"),
    "rejected": _l("rejected"),
}

SOURCES = {
    "bundled": _l("the demonstration summary shipped with buurt"),
    "url": _l("the publisher"),
    "file": _l("a file"),
}


def language() -> str:
    """Return "en" or "nl": the language of names inside the summary."""
    return "en" if str(get_locale()) == "en" else "nl"


def name(part: Any) -> str:
    """Return the name of a threat or category in the member's language."""
    return str(getattr(part, language()))


def describe(session: Session, settings: Settings, now: datetime,
             coordinator: bool) -> dict[str, Any]:
    """Return the threats overview as JSON-ready data with translated text."""
    current = service.get_current(session)
    summary = current.summary
    hubs = service.top_hubs(summary)
    # The street's readiness is the same for every member, and costly on a
    # big street: kept until the data changes.
    readiness = cached(("readiness",),
                       lambda fresh: compute_readiness(fresh, settings))
    advice = street.advise(hubs, readiness)
    attempt = service.get_last_attempt(session) if coordinator else None

    return {
        "summary": _describe_summary(current, now),
        "advisory": {
            "level": summary.advisory.level,
            "label": str(LEVELS[summary.advisory.level]),
            "reason": getattr(summary.advisory.reason, language()),
        },
        "hubs": [_describe_hub(rank, hub, current)
                 for rank, hub in enumerate(hubs, start=1)],
        "street": [_describe_advice(item, coordinator) for item in advice],
        "checklist": [
            {"id": item, "level": since, "text": str(CHECKLIST_TEXT[item])}
            for item, since in street.CHECKLIST
            if since <= summary.advisory.level
        ],
        "last_attempt": (_describe_attempt(attempt, settings) if attempt
                         else None),
    }


def _describe_summary(current: Current, now: datetime) -> dict[str, Any]:
    """Describe which summary is in force and how old it is."""
    summary = current.summary
    expired = current.expired(now)
    age = _age(summary.issued_at - now)
    return {
        "sequence": summary.sequence,
        "schema_version": summary.schema_version,
        "publisher": summary.publisher,
        "issued_at": summary.issued_at.isoformat(),
        "expires_at": summary.expires_at.isoformat(),
        "received_at": (current.received_at.isoformat()
                        if current.received_at else None),
        "source": current.source,
        "source_text": str(SOURCES[current.source]),
        "demonstration": current.demonstration,
        "key_id": current.key_id,
        "age_days": max((now - summary.issued_at).days, 0),
        "age_text": _("Last updated %(age)s", age=age),
        "expired": expired,
        "expired_text": _(
            "Expired %(age)s: this picture may be out of date.",
            age=_age(summary.expires_at - now),
        ) if expired else "",
    }


def _describe_hub(rank: int, hub: RankedThreat,
                  current: Current) -> dict[str, Any]:
    """Describe one top hub with its value and the functions it hits."""
    threat = hub.threat
    return {
        "rank": rank,
        "id": threat.id,
        "name": name(threat),
        "category": threat.category,
        "category_name": name(current.summary.category(threat.category)),
        "hub": threat.hub,
        "hub_value": hub.hub_value,
        "hub_value_text": format_decimal(hub.hub_value),
        "affects": [{"id": vital, "name": str(VITAL_NAMES[vital])}
                    for vital in threat.affects],
    }


def _describe_advice(advice: Advice, coordinator: bool) -> dict[str, Any]:
    """Describe one piece of advice for the street."""
    return {
        "vital_function": advice.vital_function,
        "vital_function_name": str(VITAL_NAMES[advice.vital_function]),
        "threats": [hub.threat.id for hub in advice.threats],
        "essential_functions": [
            {"id": status.id, "name": str(ESSENTIAL_NAMES[status.id]),
             "coverage": status.coverage, "gap": status.gap,
             "weakest": status.weakest}
            for status in advice.essentials
        ],
        "power_dependent": advice.power_dependent if coordinator else None,
        "without_backup": advice.without_backup if coordinator else None,
        "needs_help": advice.needs_help if coordinator else None,
        "without_buddy": advice.without_buddy if coordinator else None,
        "urgent": advice.urgent,
        "scenario": advice.scenario,
        "drill_url": advice.drill_path,
        "text": advice_text(advice, coordinator),
    }


def advice_text(advice: Advice, coordinator: bool) -> str:
    """Say in one sentence what a vital function's risk means here."""
    threats = format_list([_lower_first(name(hub.threat))
                           for hub in advice.threats],
                          locale=str(get_locale()))
    risk = _("%(function)s is at risk from %(threats)s",
             function=str(VITAL_NAMES[advice.vital_function]),
             threats=threats)

    facts = _coverage_facts(advice)
    if coordinator and advice.power_dependent:
        facts.append(ngettext(
            "%(num)d household here depends on electricity for medical "
            "equipment",
            "%(num)d households here depend on electricity for medical "
            "equipment", advice.power_dependent))
        if advice.without_backup:
            facts.append(ngettext(
                "%(num)d of them has no backup assigned",
                "%(num)d of them have no backup assigned",
                advice.without_backup))
    if coordinator and advice.needs_help:
        facts.append(ngettext(
            "%(num)d household here needs help in an outage",
            "%(num)d households here need help in an outage",
            advice.needs_help))
        if advice.without_buddy:
            facts.append(ngettext(
                "%(num)d of them has no buddy to check on them",
                "%(num)d of them have no buddy to check on them",
                advice.without_buddy))

    action = str(DRILL_ACTIONS[advice.scenario])
    if not facts:
        return _capitalise(_("%(risk)s: %(action)s.", risk=risk,
                             action=action))
    return _capitalise(_("%(risk)s; %(facts)s: %(action)s.", risk=risk,
                         facts="; ".join(facts), action=action))


def _coverage_facts(advice: Advice) -> list[str]:
    """Say how well the street covers the essential functions involved."""
    facts = []
    for status in advice.essentials:
        if status.coverage is None or status.coverage >= 1:
            continue
        values = {"function": str(ESSENTIAL_NAMES[status.id]),
                  "percent": format_percent(status.coverage)}
        if status.weakest:
            facts.append(_("%(function)s is the street's weakest function "
                           "(%(percent)s covered)", **values))
        else:
            facts.append(_("%(function)s %(percent)s covered", **values))
    return facts


def _describe_attempt(attempt: SyncAttempt,
                      settings: Settings) -> dict[str, Any]:
    """Describe the last sync attempt for a coordinator."""
    return {
        "attempted_at": attempt.attempted_at.isoformat(),
        "attempted_at_text": format_datetime(
            attempt.attempted_at, format="medium", tzinfo=settings.zone,
            locale=str(get_locale())),
        "source": attempt.source,
        "origin": attempt.origin,
        "outcome": attempt.outcome,
        "outcome_text": str(OUTCOMES.get(attempt.outcome, attempt.outcome)),
        "reason": attempt.reason or None,
        "message": str(REASONS[attempt.reason]) if attempt.reason in REASONS
        else "",
        "detail": attempt.detail,
        "sequence": attempt.sequence,
    }


def _age(delta: timedelta) -> str:
    """Say how long ago or ahead a moment is, in days below two months."""
    if timedelta(days=1) <= abs(delta) < timedelta(days=60):
        return format_timedelta(delta, granularity="day", threshold=60,
                                add_direction=True)
    return format_timedelta(delta, add_direction=True)


def _lower_first(text: str) -> str:
    """Lower-case a name's first letter, unless it starts an acronym."""
    if len(text) > 1 and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _capitalise(text: str) -> str:
    """Upper-case the first letter of a sentence."""
    return text[:1].upper() + text[1:]
