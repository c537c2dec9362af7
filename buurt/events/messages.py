"""Words for the events feature: error sentences, names, local times.

Shared by the pages and the API, so a refusal reads the same in both.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date, format_datetime
from flask import current_app
from flask_babel import get_locale, gettext as _, lazy_gettext as _l

from buurt import localtime
from buurt.events.service import EventError

TIME_FORMAT = "EEE d MMM y HH:mm"

SCENARIO_NAMES = {
    "power": _l("Power outage"),
    "water": _l("No tap water"),
    "internet": _l("Internet and phone network down"),
    "payments": _l("No card or phone payments"),
    "custom": _l("Another scenario"),
}
CHALLENGE_NAMES = {
    "water_tank": _l("One water tank for the street, for three days"),
    "no_power_day": _l("A day without power"),
    "no_payments_weekend": _l("A weekend without payments"),
    "no_internet_day": _l("A day without internet"),
    "no_water_day": _l("A day without tap water"),
    "custom": _l("Our own challenge"),
}
STATUS_NAMES = {
    "ok": _l("We're OK"),
    "need_help": _l("We need help"),
    "can_help": _l("We can help"),
}
RSVP_NAMES = {"yes": _l("Yes, we join"), "maybe": _l("Maybe"),
              "no": _l("No, not this time")}
DRILL_STATES = {"upcoming": _l("upcoming"), "running": _l("running now"),
                "over": _l("over"), "cancelled": _l("cancelled")}
NEED_NAMES = {"needs_help": _l("needs help"),
              "power_dependent": _l("depends on power")}
CONDITION_NAMES = {"good": _l("good"), "fair": _l("fair"),
                   "poor": _l("poor"), "broken": _l("broken")}
AGREEMENT_NAMES = {"buddy": _l("Buddy (checks on a household)"),
                   "key_holder": _l("Key holder"),
                   "radio_listener": _l("Radio listener"),
                   "cook": _l("Cooks for the street"),
                   "power_backup": _l("Power backup"),
                   "other": _l("Other agreement")}
# What a field is called in a refusal, by its name in the forms and the API.
FIELD_NAMES = {
    "scenario": _l("scenario"), "challenge": _l("challenge"),
    "title": _l("title"), "description": _l("description"),
    "meeting_point": _l("meeting point"), "place": _l("place"),
    "starts_at": _l("start"), "ends_at": _l("end"), "until": _l("until"),
    "rrule": _l("repeat rule"), "resource_ids": _l("items"),
    "resource_id": _l("item"), "answer": _l("answer"),
    "household_id": _l("household"), "code": _l("check-in code"),
    "status": _l("status"), "note": _l("note"),
    "went_well": _l("what went well"), "went_badly": _l("what went badly"),
    "review": _l("review"), "lessons": _l("lessons"), "lesson": _l("lesson"),
    "lesson_id": _l("lesson"), "action": _l("action"),
    "due_on": _l("due date"), "owner_household_id": _l("owner"),
    "owner_member_id": _l("owner"), "series": _l("series"),
    "condition": _l("condition"), "kind": _l("kind of agreement"),
    "summary": _l("summary"), "helper_household_id": _l("helper"),
    "idea": _l("idea"), "text": _l("idea"),
}
# The choices a field takes, named in words, for a refused choice.
CHOICE_NAMES = {"scenario": SCENARIO_NAMES, "challenge": CHALLENGE_NAMES,
                "answer": RSVP_NAMES, "status": STATUS_NAMES,
                "condition": CONDITION_NAMES, "kind": AGREEMENT_NAMES}
# The names templates look up, as `names.scenario[...]` and so on.
NAMES = {"scenario": SCENARIO_NAMES, "challenge": CHALLENGE_NAMES,
         "status": STATUS_NAMES, "rsvp": RSVP_NAMES, "state": DRILL_STATES,
         "need": NEED_NAMES, "condition": CONDITION_NAMES,
         "agreement": AGREEMENT_NAMES}


def local_time(moment: datetime | None) -> str:
    """Format an instant in the street's zone and the user's language."""
    if moment is None:
        return ""
    zone = current_app.config["BUURT"].zone
    return format_datetime(localtime.to_local(moment, zone), TIME_FORMAT,
                           locale=str(get_locale() or "nl"))


def local_date(moment: datetime) -> str:
    """Format the day of an instant in the street's zone, in words."""
    zone = current_app.config["BUURT"].zone
    return format_date(localtime.to_local(moment, zone), "long",
                       locale=str(get_locale() or "nl"))


def input_time(moment: datetime | None) -> str:
    """Format an instant for a datetime-local form field, in local time."""
    if moment is None:
        return ""
    zone = current_app.config["BUURT"].zone
    return localtime.to_local(moment, zone).strftime("%Y-%m-%dT%H:%M")


def field_name(name: str) -> str:
    """Return what a field is called, in the user's language."""
    return str(FIELD_NAMES.get(name, name))


def choice_names(name: str, codes: list[str]) -> str | None:
    """Name a field's choices (by their codes) in words, if it has names."""
    names = CHOICE_NAMES.get(name)
    if names is None:
        return None
    return " / ".join(str(names.get(code, code)) for code in codes)


def event_message(error: EventError) -> str:
    """Return the translated sentence for an EventError."""
    details = error.details
    if error.code == "time_nonexistent":
        return _("%(time)s does not exist here: the clocks jump from "
                 "%(start)s to %(end)s that night. Choose another time, "
                 "for instance %(end)s.",
                 time=details["local"].strftime("%Y-%m-%d %H:%M"),
                 start=details["gap_start"].strftime("%H:%M"),
                 end=details["gap_end"].strftime("%H:%M"))
    if error.code == "clash":
        return _("%(item)s is already taken then. It is free again from "
                 "%(time)s.", item=details["resource"],
                 time=local_time(details["free_from"]))
    if error.code == "clash_until_returned":
        return _("%(item)s is out on loan and overdue; it is free again "
                 "once it is returned.", item=details["resource"])
    if error.code in ("checkin_closed", "reporting_closed"):
        return _("Check-in and reports are open from %(opens)s until "
                 "%(ends)s.", opens=local_time(details["opens"]),
                 ends=local_time(details["ends"]))
    if error.code == "too_long":
        return _("Too long: the %(field)s (at most %(limit)s "
                 "characters).", field=field_name(details["field"]),
                 limit=details["limit"])
    if error.code == "time_out_of_range":
        return _("Choose a time between %(earliest)s and %(latest)s: "
                 "not more than a year ago and not more than five years "
                 "ahead.", earliest=local_date(details["earliest"]),
                 latest=local_date(details["latest"]))
    if error.code == "item_broken":
        return _("%(item)s is broken. It can be reserved or borrowed again "
                 "once a coordinator marks it as repaired.",
                 item=details["resource"])
    if error.code == "too_long_window":
        return _("An event lasts at most %(days)s days.",
                 days=details["days"])
    return _simple_message(error.code)


def _simple_message(code: str) -> str:
    """Return the sentence for a code that needs no details."""
    messages = {
        "time_invalid": _("Give a date and time such as 2026-06-06T10:00."),
        "end_before_start": _("The end must come after the start."),
        "unknown_scenario": _("Choose one of the scenarios."),
        "unknown_challenge": _("Choose one of the challenges."),
        "title_required": _("Give it a title."),
        "rrule_invalid": _("The repeat rule is not understood. Use for "
                           "instance FREQ=MONTHLY;INTERVAL=3;BYDAY=1SA."),
        "rrule_empty": _("The repeat rule plans no drill in the coming "
                         "year."),
        "drill_not_found": _("This drill does not exist (any more)."),
        "hackathon_not_found": _("This hackathon does not exist (any "
                                 "more)."),
        "checkin_code_unknown": _("This check-in code is not known. Scan "
                                  "the code again or type it carefully."),
        "drill_cancelled": _("This drill was cancelled."),
        "hackathon_cancelled": _("This hackathon was cancelled."),
        "drill_over": _("This drill is over."),
        "no_household": _("Your account is not linked to a household "
                          "yet. Register your household first."),
        "unknown_answer": _("Answer yes, maybe or no."),
        "unknown_status": _("Choose OK, need help or can help."),
        "review_too_early": _("A drill can be reviewed once it has "
                              "started."),
        "lesson_not_found": _("This lesson does not belong to this "
                              "drill."),
        "action_required": _("Say what will be done."),
        "owner_required": _("Choose who takes this on: a household or a "
                            "member."),
        "owner_not_found": _("That owner does not exist."),
        "action_not_found": _("This action does not exist (any more)."),
        "idea_required": _("Write down your idea."),
        "resource_not_found": _("This item does not exist (any more)."),
        "not_pledged_for_loans": _("This item is not pledged for lending; "
                                   "ask its keeper."),
        "not_pledged_for_drills": _("This item is not pledged for drills."),
        "window_past": _("That time is already over."),
        "already_borrowed": _("Your household has already borrowed this "
                              "item."),
        "not_borrowed": _("This item is not on loan to your household."),
        "unknown_condition": _("Choose the condition: good, fair, poor or "
                               "broken."),
        "reservation_not_found": _("This reservation does not exist (any "
                                   "more)."),
        "unknown_field": _("One of the fields is not known."),
        "household_not_found": _("This household does not exist (any "
                                 "more)."),
        "unknown_moment": _("Unknown moment."),
        "not_your_household": _("Only a coordinator may act for another "
                                "household."),
    }
    return messages.get(code, _("That did not work."))


def agreement_message(code: str) -> str:
    """Say why the inventory refused a hackathon outcome's agreement."""
    if code == "agreement_needs_resource_id":
        return _("Choose the item this agreement is about.")
    if code == "agreement_needs_description":
        return _("Say what was agreed.")
    if code.startswith("agreement_needs_"):
        return _("Choose the households this agreement is about.")
    if code == "same_household":
        return _("A household cannot be its own helper.")
    messages = {
        "household_not_found": _("This household does not exist (any "
                                 "more)."),
        "resource_not_found": _("This item does not exist (any more)."),
        "not_a_power_source": _("A power backup must be an item that "
                                "gives power."),
        "not_power_dependent": _("A power backup is for a household that "
                                 "depends on power for medical equipment."),
    }
    return messages.get(code, _("This agreement cannot be recorded."))
