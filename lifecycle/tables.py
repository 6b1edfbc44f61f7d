"""A project's life, as stored: collection rounds, proposals, their reviews and history.

A proposal keeps one row for its whole life; its stage says where it is
(lifecycle.stages). Everything that happens to it is a `ProposalEvent`: the public
history a proposer reads with the tracking code. The proposer's name and contact are
private columns, never shown in public pages or exports.
"""

from piccolo.columns import JSON, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from voting.tables import Congress, Deputy, Poll, Session


class CollectionRound(Table, tablename="collection_round"):
    """A collection window (征集期) for one year's projects of one congress."""

    congress = ForeignKey(references=Congress, on_delete=OnDelete.restrict)
    year = Integer()  # the year the projects are for
    title = Varchar(length=100)
    opens_on = Date()
    closes_on = Date()
    budget_wan = Integer(null=True, default=None)  # the year's budget for these projects, 万元
    created_at = Timestamptz(default=TimestamptzNow())


class Proposal(Table, tablename="proposal"):
    round = ForeignKey(references=CollectionRound, index=True, on_delete=OnDelete.restrict)
    code = Varchar(length=12, unique=True)  # the proposer's tracking code
    title = Varchar(length=60)
    description = Text()
    township = Varchar(length=30, index=True)
    village = Varchar(length=30, default="")
    category = Varchar(length=20, index=True)
    cost_wan = Integer(null=True, default=None)
    beneficiaries = Integer(null=True, default=None)
    channel = Varchar(length=20)
    proposer_name = Varchar(length=20, default="")  # private
    contact = Varchar(length=50, default="")  # private
    deputy = ForeignKey(references=Deputy, null=True, default=None, on_delete=OnDelete.set_null)
    supporters = Integer(default=1)
    stage = Varchar(length=20, default="submitted", index=True)
    merged_into = ForeignKey(references="self", null=True, default=None, on_delete=OnDelete.restrict)
    decision_reason = Text(default="")  # shown to the proposer
    session = ForeignKey(references=Session, null=True, default=None, on_delete=OnDelete.set_null)  # the candidate list it is on
    position = Integer(null=True, default=None)  # its place on that list
    poll = ForeignKey(references=Poll, null=True, default=None, on_delete=OnDelete.set_null)  # the poll it went to
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class ProposalReview(Table, tablename="proposal_review"):
    """One screening review: the criteria as assessed (lifecycle.screening) with comments."""

    proposal = ForeignKey(references=Proposal, index=True)
    reviewer = Varchar(length=60)
    role = Varchar(length=20)
    assessments = JSON(default={})
    comments = JSON(default={})
    note = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class ProposalEvent(Table, tablename="proposal_event"):
    """What happened to a proposal, in order: its public history."""

    proposal = ForeignKey(references=Proposal, index=True)
    at = Timestamptz(default=TimestamptzNow())
    kind = Varchar(length=20)  # submitted | moved | merged | absorbed | reviewed | consultation | signoff
    stage_from = Varchar(length=20, default="")
    stage_to = Varchar(length=20, default="")
    role = Varchar(length=20)  # who acted, as lifecycle.stages.ROLES (shown in public)
    actor = Varchar(length=60, default="")  # the account, shown to staff only
    text = Text(default="")  # the reason or the record, shown in public
    detail = JSON(default={})  # meeting, date, document number...


class ProposalAttachment(Table, tablename="proposal_attachment"):
    proposal = ForeignKey(references=Proposal, index=True)
    sha256 = Varchar(length=64)
    kind = Varchar(length=10)
    media_type = Varchar(length=40)
    size = Integer()
    name = Varchar(length=100)


class SubmitAttempt(Table, tablename="submit_attempt"):
    """Public submissions per client (a keyed hash of the address), for the rate limit."""

    client = Varchar(length=64, index=True)
    at = Timestamptz(default=TimestamptzNow())
