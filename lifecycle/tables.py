"""A project's life, as stored: collection rounds, proposals, their reviews and history; then,
for a chosen project, its plan, progress, supervision, acceptance, evaluation and upkeep.

A proposal keeps one row for its whole life; its stage says where it is
(lifecycle.stages). Everything that happens to it is a `ProposalEvent`: the public
history a proposer reads with the tracking code. The proposer's name and contact are
private columns, never shown in public pages or exports. A chosen proposal gets one
`Project` row, which carries the implementation stages (lifecycle.stages.PROJECT_STAGES).
"""

from piccolo.columns import JSON, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from piccolo.columns import Boolean

from voting.tables import Congress, Deputy, Poll, Session, StaffAccount


class CollectionRound(Table, tablename="collection_round"):
    """A collection window (征集期) for one year's projects of one congress."""

    congress = ForeignKey(references=Congress, on_delete=OnDelete.restrict)
    year = Integer()  # the year the projects are for
    title = Varchar(length=100)
    opens_on = Date()
    closes_on = Date()
    budget_wan = Integer(null=True, default=None)  # the year's budget for these projects, 万元
    release_after_hours = Integer(null=True, default=72)  # lifecycle.publicity; None: released one by one
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
    released_at = Timestamptz(null=True, default=None)  # public from then (lifecycle.publicity); None: not yet
    hidden_reason = Text(default="")  # hidden from the public, and why (shown to the proposer)
    received_on = Date(null=True, default=None)  # a paper proposal: the day it reached the secretariat
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
    hidden_reason = Text(default="")  # not served in public, and why


class SubmitAttempt(Table, tablename="submit_attempt"):
    """Public submissions per client (a keyed hash of the address), for the rate limit."""

    client = Varchar(length=64, index=True)
    at = Timestamptz(default=TimestamptzNow())



# --- after the vote ----------------------------------------------------------------


class Department(Table, tablename="department"):
    """An implementing department (承办部门) of a congress's government."""

    congress = ForeignKey(references=Congress, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=60)


class DepartmentStaff(Table, tablename="department_staff"):
    """Which department a staff account reports for: it sees and edits only that department's projects."""

    department = ForeignKey(references=Department, on_delete=OnDelete.restrict)
    staff = ForeignKey(references=StaffAccount, unique=True, on_delete=OnDelete.cascade)


class Project(Table, tablename="project"):
    """A chosen livelihood project (民生实事项目) from its plan to its upkeep."""

    proposal = ForeignKey(references=Proposal, unique=True, on_delete=OnDelete.restrict)
    congress = ForeignKey(references=Congress, on_delete=OnDelete.restrict, index=True)
    year = Integer(index=True)
    title = Varchar(length=100)
    category = Varchar(length=20, index=True)
    stage = Varchar(length=20, default="planning", index=True)
    department = ForeignKey(references=Department, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    lead_official = Varchar(length=40, default="")
    budget_wan = Integer(null=True, default=None)
    funding = Text(default="")  # sources of funds, as the plan states them
    targets = Text(default="")  # what will be built or provided
    starts_on = Date(null=True, default=None)
    ends_on = Date(null=True, default=None)
    plan_submitted_at = Timestamptz(null=True, default=None)  # sent for review; cleared when returned
    plan_published_at = Timestamptz(null=True, default=None)
    progress = Integer(default=0)  # weighted milestone progress, percent (kept with each report)
    spent_wan = Integer(default=0)
    last_report_on = Date(null=True, default=None)
    verdict = Varchar(length=24, null=True, default=None)  # satisfied | basically_satisfied | dissatisfied
    warranty_until = Date(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class Milestone(Table, tablename="milestone"):
    """A weighted step of the plan; a multi-year project has yearly milestones."""

    project = ForeignKey(references=Project, index=True)
    position = Integer()
    title = Varchar(length=100)
    weight = Integer(default=1)
    due_on = Date()
    percent = Integer(default=0)  # as of the latest report


class ProgressReport(Table, tablename="progress_report"):
    """A department's report: percent per milestone, narrative, money spent, photos."""

    project = ForeignKey(references=Project, index=True)
    period = Varchar(length=20)  # e.g. 2027年第一季度
    filed_on = Date()
    percents = JSON(default={})  # milestone id -> percent
    progress = Integer()  # the weighted overall progress this report gives
    spent_wan = Integer(default=0)  # spent to date
    narrative = Text()
    by = Varchar(length=80)
    at = Timestamptz(default=TimestamptzNow())


class ProjectAttachment(Table, tablename="project_attachment"):
    """A photo or PDF on a report, an inspection, an acceptance or a maintenance entry."""

    project = ForeignKey(references=Project, index=True)
    kind = Varchar(length=20)  # report | inspection | rect_reply | acceptance | maintenance | plan
    record = Integer()  # id of the report, inspection... it belongs to
    sha256 = Varchar(length=64)
    media_type = Varchar(length=40)
    size = Integer()
    name = Varchar(length=100)


class Supervisor(Table, tablename="supervisor"):
    """A member of a project's supervision group (监督小组): a lead deputy and members."""

    project = ForeignKey(references=Project, index=True)
    deputy = ForeignKey(references=Deputy)
    role = Varchar(length=10)  # lead | member


class LotDraw(Table, tablename="lot_draw"):
    """Projects or sites drawn by lot for an unannounced inspection, with the seed to repeat it."""

    congress = ForeignKey(references=Congress, index=True)
    year = Integer()
    seed = Varchar(length=64)
    pool = JSON()  # the project ids drawn from, in the order used
    drawn = JSON()  # the project ids drawn
    by = Varchar(length=80)
    at = Timestamptz(default=TimestamptzNow())


class Inspection(Table, tablename="inspection"):
    """An inspection (视察) of a project by its supervision group."""

    project = ForeignKey(references=Project, index=True)
    held_on = Date()
    deputies = JSON(default=[])  # deputy ids who went
    others = Text(default="")  # others present (officials, villagers)
    findings = Text()
    unannounced = Boolean(default=False)
    lot_draw = ForeignKey(references=LotDraw, null=True, default=None)
    by = Varchar(length=80)
    at = Timestamptz(default=TimestamptzNow())


class Rectification(Table, tablename="rectification"):
    """A rectification request (整改) with a deadline: raised, answered by the department, closed by the group."""

    project = ForeignKey(references=Project, index=True)
    source = Varchar(length=20)  # inspection | acceptance | warranty
    inspection = ForeignKey(references=Inspection, null=True, default=None)
    request = Text()
    due_on = Date()
    status = Varchar(length=10, default="open", index=True)  # open | replied | closed
    reply = Text(default="")
    replied_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    raised_by = Varchar(length=80)
    closed_by = Varchar(length=80, default="")
    at = Timestamptz(default=TimestamptzNow())


class RectificationReply(Table, tablename="rectification_reply"):
    """One round of a rectification: the department's reply (with photos: ProjectAttachment kind
    rect_reply) and what the group made of it, closed (销号) or sent back (不予销号) with a reason."""

    rectification = ForeignKey(references=Rectification, index=True)
    round = Integer()
    reply = Text()
    by = Varchar(length=80)
    at = Timestamptz(default=TimestamptzNow())
    verdict = Varchar(length=12, default="")  # "" (not yet verified) | closed | sent_back
    verdict_note = Text(default="")
    verdict_by = Varchar(length=80, default="")
    verdict_at = Timestamptz(null=True, default=None)


class Decision(Table, tablename="decision"):
    """A change of course decided by the standing committee or the township congress."""

    project = ForeignKey(references=Project, index=True)
    kind = Varchar(length=12)  # adjust | suspend | resume | terminate
    body = Varchar(length=60)  # 县人大常委会 / 镇人民代表大会
    meeting = Varchar(length=100)
    decided_on = Date()
    document = Varchar(length=60)
    summary = Text()
    changes = JSON(default={})  # for adjust: the plan fields changed, before and after
    by = Varchar(length=80)
    at = Timestamptz(default=TimestamptzNow())


class Acceptance(Table, tablename="acceptance"):
    """The acceptance (验收) on site against the plan."""

    project = ForeignKey(references=Project, index=True)
    held_on = Date()
    deputies = JSON(default=[])  # deputy ids present
    representatives = Text(default="")  # voters' representatives present
    checklist = JSON(default={})  # content | scale | quality -> {"ok": bool, "note": str}
    findings = Text(default="")
    result = Varchar(length=30)  # accepted | accepted_after_rectification | not_accepted
    warranty_months = Integer(default=0)
    by = Varchar(length=80)
    at = Timestamptz(default=TimestamptzNow())


class Custodian(Table, tablename="custodian"):
    """Who looks after the works (管护员, 路长…): a deputy or a villager."""

    project = ForeignKey(references=Project, index=True)
    name = Varchar(length=40)
    deputy = ForeignKey(references=Deputy, null=True, default=None)
    duty = Varchar(length=100, default="")
    since = Date()


class MaintenanceEntry(Table, tablename="maintenance_entry"):
    """The maintenance log; a defect in the warranty period becomes a rectification request."""

    project = ForeignKey(references=Project, index=True)
    on = Date()
    note = Text()
    defect = Boolean(default=False)
    rectification = ForeignKey(references=Rectification, null=True, default=None)
    by = Varchar(length=80)
    at = Timestamptz(default=TimestamptzNow())


class SupervisionSettings(Table, tablename="supervision_settings"):
    """The thresholds of the status colour rule (lifecycle.colours), per congress."""

    congress = ForeignKey(references=Congress, unique=True)
    yellow_gap = Integer(default=10)  # percentage points behind the schedule
    red_gap = Integer(default=25)
    near_days = Integer(default=7)  # a rectification this close to its deadline turns yellow
    report_every_days = Integer(default=92)  # a progress report is overdue after this long
    rectify_basically = Boolean(default=False)  # 基本满意 opens a rectification too (不满意 always does)
    verdict_rectify_days = Integer(default=90)  # the deadline of a rectification a verdict opens


# --- notifications -------------------------------------------------------------------------


class Notification(Table, tablename="notification"):
    """A notice to a proposer (by the proposal: its tracking code), an implementing department or a
    deputy (lifecycle.notification_rules). `event_key` names the event and the recipient: the same event
    never notifies twice."""

    event_key = Varchar(length=160, unique=True)
    recipient = Varchar(length=12)  # proposer | department | deputy
    recipient_id = Integer(index=True)  # the proposal's, the department's or the deputy's id
    text = Text()
    link = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    read_at = Timestamptz(null=True, default=None)


class SmsMessage(Table, tablename="sms_outbox"):
    """An SMS on its way (lifecycle.sms): queued → sending → sent, or back to queued to be retried,
    or failed. The number is kept whole only while it may still be sent; then masked."""

    notification = ForeignKey(references=Notification, null=True, default=None, on_delete=OnDelete.set_null)
    phone = Varchar(length=20)
    params = JSON(default=[])  # the template's parameters
    status = Varchar(length=10, default="queued", index=True)  # queued | sending | sent | failed
    attempts = Integer(default=0)
    next_try_at = Timestamptz(default=TimestamptzNow())
    provider_id = Varchar(length=80, default="")  # the provider's serial number of a sent message
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
