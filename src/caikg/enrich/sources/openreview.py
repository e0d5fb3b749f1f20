"""What OpenReview says about a submission forum: its title, authors, venue and how the venue
decided (accepted as oral / spotlight / poster, rejected, withdrawn, desk-rejected, or not yet).

Follows the OpenReview API v2 documentation: the Note entity
(https://docs.openreview.net/reference/api-v2/entities/note; ``content`` fields are
``{"value": …}`` objects, dates are milliseconds since the epoch), getting every note of a forum
(https://docs.openreview.net/getting-started/using-the-api/notes) and finding the decision by
its invitation ``…/-/Decision``
(https://docs.openreview.net/how-to-guides/data-retrieval-and-modification/how-to-get-all-decisions).

OpenReview states no licence for its API's metadata, so only facts are kept (no abstract, no
review text).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from caikg.config import Settings
from caikg.enrich.client import NotFound, PoliteClient
from caikg.enrich.sources.base import AuthorRecord, Decision, Lookup, SourceRecord

NAME = "openreview"

NO_DECISION = "no decision yet"


# -- small helpers -------------------------------------------------------------------------------
def _value(note: dict[str, Any], field: str) -> Any:
    """``note.content[field].value`` (API v2 wraps every content field in ``{"value": …}``)."""
    content = note.get("content")
    entry = content.get(field) if isinstance(content, dict) else None
    return entry.get("value") if isinstance(entry, dict) else None


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def iso_date(ms: object) -> str | None:
    """Milliseconds since the epoch → ISO date (UTC), the way OpenReview stores note dates."""
    if not isinstance(ms, int | float) or isinstance(ms, bool):
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC).date().isoformat()


def _invitations(note: dict[str, Any]) -> list[str]:
    invitations = note.get("invitations")
    if isinstance(invitations, list):
        return [i for i in invitations if isinstance(i, str)]
    # API v1 notes carry one ``invitation``; accept it too so a v1-shaped reply still reads.
    single = note.get("invitation")
    return [single] if isinstance(single, str) else []


def _has_invitation(note: dict[str, Any], *suffixes: str) -> bool:
    return any(inv.endswith(suffix) for inv in _invitations(note) for suffix in suffixes)


def _created(note: dict[str, Any]) -> str | None:
    return iso_date(note.get("cdate")) or iso_date(note.get("tcdate"))


# -- the decision --------------------------------------------------------------------------------
def outcome_of(label: str) -> str | None:
    """The outcome a decision label states, or None when the label says neither accept nor
    reject (e.g. a workshop invitation)."""
    words = label.lower()
    if "reject" in words:
        return "desk-rejected" if "desk" in words else "rejected"
    if "accept" not in words:
        return None
    # ICLR 2023 labelled orals "notable-top-5%" and spotlights "notable-top-25%".
    if "oral" in words or "top-5%" in words:
        return "accepted-oral"
    if "spotlight" in words or "top-25%" in words:
        return "accepted-spotlight"
    if "poster" in words:
        return "accepted-poster"
    return "accepted"


def venue_outcome(venueid: str, venue: str | None) -> str:
    """Where the venueid says the paper ended up: rejected ("…/Rejected_Submission"), still
    under review ("…/Submission", venue "Submitted to …"), else accepted, as the oral /
    spotlight / poster the venue string names ("ICLR 2025 Oral")."""
    if venueid.endswith("/Rejected_Submission"):
        return "rejected"
    if not venueid or venueid.endswith("/Submission") or (venue or "").startswith("Submitted to"):
        return "under-review"
    words = (venue or "").lower()
    for kind in ("oral", "spotlight", "poster"):
        if kind in words:
            return f"accepted-{kind}"
    return "accepted"


def parse_decision(submission: dict[str, Any], notes: Sequence[dict[str, Any]]) -> Decision:
    """How the venue decided on ``submission``, read from its venueid and the forum's notes.

    Withdrawal and desk rejection come first: they end the review whatever else the forum holds.
    """
    venue = _text(_value(submission, "venue"))
    venueid = _text(_value(submission, "venueid")) or ""
    live = [n for n in notes if not n.get("ddate")]  # a deleted note (reverted action) is void

    for ended, venueid_suffix, invitation in (
            ("withdrawn", "/Withdrawn_Submission", "/-/Withdrawal"),
            ("desk-rejected", "/Desk_Rejected_Submission", "/-/Desk_Rejection")):
        action = next((n for n in live if _has_invitation(n, invitation)), None)
        if venueid.endswith(venueid_suffix) or action is not None:
            date = (_created(action) if action is not None else None) \
                or iso_date(submission.get("mdate"))
            return Decision(outcome=ended, label=venue or ended.replace("-", " ").capitalize(),
                            date=date, venue=venue)

    for note in live:
        if not _has_invitation(note, "/-/Decision"):
            continue
        # Conferences write ``decision``; journals such as TMLR write ``recommendation``.
        said = _text(_value(note, "decision")) or _text(_value(note, "recommendation"))
        if not said:
            continue
        # A label we cannot read: the venueid says where the paper ended up.
        outcome = outcome_of(said) or venue_outcome(venueid, venue)
        return Decision(outcome=outcome, label=said, date=_created(note), venue=venue)

    # No public decision note: the venueid still tells rejected and accepted papers from those
    # under review (some venues publish the outcome without a public decision note).
    outcome = venue_outcome(venueid, venue)
    if outcome == "under-review":
        return Decision(outcome=outcome, label=NO_DECISION, date=None, venue=venue)
    return Decision(outcome=outcome, label=venue or outcome, date=None, venue=venue)


# -- the record ----------------------------------------------------------------------------------
def parse_forum(data: dict[str, Any], lookup: Lookup,
                forum_id: str | None = None) -> SourceRecord | None:
    """The ``/notes?forum=…`` answer as a record; None when it holds no submission note (the
    note whose id is the forum id)."""
    forum = forum_id or lookup.openreview
    notes = [n for n in data.get("notes") or [] if isinstance(n, dict)]
    submission = next((n for n in notes if n.get("id") == forum), None)
    if submission is None or not forum:
        return None
    names = _value(submission, "authors")
    names = [name.strip() for name in names if isinstance(name, str) and name.strip()] \
        if isinstance(names, list) else []
    return SourceRecord(
        source=NAME, lookup=lookup, source_id=forum,
        url=f"https://openreview.net/forum?id={forum}",
        title=_text(_value(submission, "title")),
        venue=_text(_value(submission, "venue")),
        authors=[AuthorRecord(position=i, name=name) for i, name in enumerate(names, start=1)],
        decision=parse_decision(submission, notes),
    )


def check_notes(body: bytes) -> None:
    """Raise ValueError unless ``body`` is a whole API v2 notes answer: ``{"notes": […]}``."""
    data = json.loads(body.decode("utf-8"))  # json.JSONDecodeError is a ValueError
    if not isinstance(data, dict) or not isinstance(data.get("notes"), list):
        raise ValueError("not an OpenReview notes answer (no notes list)")


def fetch(client: PoliteClient, settings: Settings, lookups: Sequence[Lookup],
          progress: Callable[[int], None] = lambda n: None) -> list[SourceRecord]:
    """Ask OpenReview for the notes of every lookup's forum; one record per forum found."""
    records: list[SourceRecord] = []
    for lookup in lookups:
        forum = (lookup.openreview or "").strip()
        if not forum:
            continue
        try:
            body = client.get(f"{settings.openreview_api}/notes", {"forum": forum}, check_notes)
        except NotFound:
            continue
        finally:
            progress(1)
        record = parse_forum(json.loads(body.decode("utf-8")), lookup, forum)
        if record is not None:
            records.append(record)
    return records
