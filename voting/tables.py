"""The sitting and its ballot box, as stored.

Two tables carry the secret: `PollVoter` (the register: which deputy was issued a
ballot and has returned it) and `Ballot` (what was marked). They share no column,
no timestamp and no ordering. Ballot ids are random, and on SQLite both tables are
WITHOUT ROWID so rows sit in key order, not arrival order (see the migration
`2025_01_01_000002_secret_storage`). On PostgreSQL the rows of a closed poll are
rewritten in key order when it closes (voting.polls.close_poll).
"""

from piccolo.columns import (
    JSON,
    Boolean,
    Bytea,
    Date,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Congress(Table, tablename="congress"):
    name = Varchar(length=100)
    level = Varchar(length=20, default="county")  # county | township
    place = Varchar(length=100, default="")
    # A 会前演练 congress (python -m voting rehearse): simulated deputies and polls, kept out
    # of every real list and removed as a whole afterwards.
    rehearsal = Boolean(default=False)
    second_language = Varchar(length=8, default="")  # voting.languages: "" | bo | ug | ii


class Term(Table, tablename="term"):
    congress = ForeignKey(references=Congress)
    number = Integer()
    name = Varchar(length=50)


class Session(Table, tablename="sitting"):
    """A session (会议) of the congress; `sitting` in SQL since `session` is overloaded."""

    term = ForeignKey(references=Term)
    number = Integer()
    name = Varchar(length=200)
    starts_on = Date(null=True, default=None)
    ends_on = Date(null=True, default=None)
    key_threshold = Integer(default=2)  # how many scrutineers' key cards open a poll's ballots (k of n)


class Delegation(Table, tablename="delegation"):
    term = ForeignKey(references=Term)
    name = Varchar(length=30)
    position = Integer(default=0)


class Deputy(Table, tablename="deputy"):
    term = ForeignKey(references=Term)
    delegation = ForeignKey(references=Delegation)
    number = Varchar(length=20)
    name = Varchar(length=20)
    gender = Varchar(length=2, null=True, default=None)
    affiliation = Varchar(length=100, null=True, default=None)
    phone = Varchar(length=11, null=True, default=None)
    active = Boolean(default=True)
    login_code_hash = Varchar(length=64, null=True, default=None, index=True)
    large_text = Boolean(default=False)  # 大字 on the tablet, chosen by the deputy (web/tablet.py)


class StaffAccount(Table, tablename="staff_account"):
    username = Varchar(length=40, unique=True)
    display_name = Varchar(length=40)
    role = Varchar(length=20, default="secretariat")  # secretariat | admin
    password_hash = Varchar(length=200)
    active = Boolean(default=True)


class LoginSession(Table, tablename="login_session"):
    token_hash = Varchar(length=64, unique=True)
    staff = ForeignKey(references=StaffAccount, null=True, default=None)
    deputy = ForeignKey(references=Deputy, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()


class LoginLink(Table, tablename="login_link"):
    """A one-time login link for a deputy's tablet (printed as a QR code)."""

    deputy = ForeignKey(references=Deputy)
    token_hash = Varchar(length=64, unique=True)
    expires_at = Timestamptz()
    used = Boolean(default=False)


class LoginFailure(Table, tablename="login_failure"):
    """Failed login attempts, kept to throttle guessing.

    Shared by every app worker, so the limit holds across them.
    """

    client = Varchar(length=64, index=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)


class Sitting(Table, tablename="plenary_sitting"):
    """A sitting (全体会议) of a session: one plenary meeting on a date, in a time window.

    The secretariat opens it when the meeting begins and closes it when it ends; deputies
    check in to a sitting, and a poll opens within an open sitting, its quorum counted on
    that sitting's check-ins.
    """

    session = ForeignKey(references=Session, index=True)
    number = Integer()  # 第一次全体会议 …
    held_on = Date(null=True, default=None)
    starts_at = Varchar(length=5, default="")  # "09:00", Beijing time
    ends_at = Varchar(length=5, default="")
    status = Varchar(length=10, default="planned")  # planned | open | closed
    opened_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)


class CheckIn(Table, tablename="check_in"):
    session = ForeignKey(references=Session)
    sitting = ForeignKey(references=Sitting, null=True, default=None)  # set for every check-in since 2026-12
    deputy = ForeignKey(references=Deputy)
    at = Timestamptz(default=TimestamptzNow())
    by = Varchar(length=60)  # "self" or the staff account that marked it


class Poll(Table, tablename="poll"):
    session = ForeignKey(references=Session)
    ref = Varchar(length=80, unique=True)  # the poll id in exported files
    title = Varchar(length=200)
    method = Varchar(length=20)  # approval | satisfaction
    seats = Integer(null=True, default=None)
    max_approvals = Integer(null=True, default=None)
    non_competitive = Boolean(default=False)
    threshold_base = Varchar(length=10, default="entitled")
    threshold_fraction = Varchar(length=20, default="1/2")
    threshold_strict = Boolean(default=True)
    quorum_fraction = Varchar(length=20, default="2/3")
    status = Varchar(length=10, default="draft")  # draft | open | counting | closed
    opened_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    entitled = Integer(null=True, default=None)
    present = Integer(null=True, default=None)
    issued = Integer(null=True, default=None)
    result = JSON(null=True, default=None)  # the piaojue-result/1 object, set once at close
    ballots_sha256 = Varchar(length=64, null=True, default=None)  # the seal over the exported ballot file
    show_running_totals = Boolean(default=False)  # the big screen may show counts before the close
    round = Integer(default=1)  # 2, 3 … for a further vote (另行票决) on tied candidates
    runoff_of = ForeignKey(references="self", null=True, default=None)  # the poll whose tie this settles
    published_at = Timestamptz(null=True, default=None)  # after the scrutineers confirmed
    sitting = ForeignKey(references=Sitting, null=True, default=None)  # the sitting it opened in (quorum)
    second_language = Varchar(length=8, default="")  # the congress's, as the poll opened (voting.translations)
    translations_upto = Integer(null=True, default=None)  # the last translation in force as it opened


class StaffApproval(Table, tablename="staff_approval"):
    """A check-in or a new login code asked for from the console while a poll is open: it takes
    effect only when a second, different staff account approves it."""

    session = ForeignKey(references=Session, index=True)
    deputy = ForeignKey(references=Deputy)
    kind = Varchar(length=20)  # check_in | login_code
    reason = Text(default="")
    requested_by_key = Varchar(length=30)  # "staff:3": who asked, to refuse their own approval
    requested_by = Varchar(length=80)
    requested_at = Timestamptz(default=TimestamptzNow())
    status = Varchar(length=10, default="pending")  # pending | approved | withdrawn
    decided_by = Varchar(length=80, default="")
    decided_at = Timestamptz(null=True, default=None)


class ScreenTally(Table, tablename="screen_tally"):
    """Running totals taken for the big screen over `returned` ballots (voting.disclosure): only
    counts of at least 20 ballots, no time, nothing that names a deputy or orders ballots."""

    poll = ForeignKey(references=Poll, index=True)
    returned = Integer()
    totals = JSON()


class Candidate(Table, tablename="candidate"):
    """A line on the ballot: a plain record lifecycle puts in and reads results from."""

    poll = ForeignKey(references=Poll)
    position = Integer()
    ref = Varchar(length=20)  # P01 ...
    title = Varchar(length=100)
    summary = Text(default="")
    location = Varchar(length=100, default="")
    cost_wan = Integer(null=True, default=None)
    reference = Varchar(length=80, default="")


class PollVoter(Table, tablename="poll_voter"):
    """The register: one row per deputy issued a ballot; says nothing of its content.

    `medium` says whether the ballot handed over was the tablet's or paper; which paper
    serial went to whom is deliberately not recorded, so a paper ballot's marks (entered
    by its serial) never lead back to a deputy.
    """

    key = Varchar(length=40, primary_key=True)  # "<poll id>:<deputy id>", zero padded
    poll = ForeignKey(references=Poll)
    deputy = ForeignKey(references=Deputy)
    voted = Boolean(default=False)  # electronic: the tablet's ballot is in the box
    medium = Varchar(length=10, default="electronic")  # electronic | paper
    stamp = Varchar(length=64, default="")  # the server's stamp on this row (voting.box_stamps)


class Ballot(Table, tablename="ballot"):
    """A returned ballot: random id, marks, nothing else."""

    id = Varchar(length=40, primary_key=True)
    poll = ForeignKey(references=Poll)
    marks = Text(default="{}")  # JSON object candidate ref -> value
    void = Boolean(default=False)


class PollKey(Table, tablename="poll_key"):
    """The poll's public key from a key ceremony (voting.key_ceremony), and who holds which card.

    The private key is never stored: it exists only as k-of-n shares on the cards. A ceremony
    held again before the poll opens is a new row (the newest is in force); `forgotten_at` is
    set when the count has opened the ballots and the key was dropped from memory.
    """

    poll = ForeignKey(references=Poll, index=True)
    public_key = Varchar(length=64)  # hex
    fingerprint = Varchar(length=9)  # 3F2A-91C0
    threshold = Integer()
    holders = Text(default="[]")  # JSON: [{"x": 1, "role": "chief", "name": …, "number": …}, …]
    made_by = Varchar(length=80)
    made_at = Timestamptz(default=TimestamptzNow())
    reason = Text(default="")
    forgotten_at = Timestamptz(null=True, default=None)


class SealedBallot(Table, tablename="sealed_ballot"):
    """A tablet ballot as it arrived, sealed to the poll's key: random id, the box, nothing else.
    Opened, shuffled and deleted at the count (voting.ballot_opening)."""

    id = Varchar(length=40, primary_key=True)
    poll = ForeignKey(references=Poll)
    box = Text()
    stamp = Varchar(length=64, default="")  # the server's stamp on this box (voting.box_stamps)


class AuditEntry(Table, tablename="audit_entry"):
    at = Timestamptz(default=TimestamptzNow(), index=True)
    actor = Varchar(length=80)  # e.g. "秘书处 张敏" / "代表 D017 王芳" / "系统"
    action = Varchar(length=40, index=True)
    subject = Varchar(length=200, default="")
    detail = JSON(default="{}")
    reason = Text(default="")
    prev_hash = Varchar(length=64, default="")  # the chain: voting.audit_chain
    entry_hash = Varchar(length=64, default="", index=True)


class Notice(Table, tablename="notice"):
    """A presidium notice (主席团公告（第N号）), numbered per session; issued once, never edited."""

    session = ForeignKey(references=Session)
    number = Integer()
    poll = ForeignKey(references=Poll, null=True, default=None)
    title = Varchar(length=200)
    issued_at = Timestamptz(default=TimestamptzNow())
    issued_by = Varchar(length=80)


class PaperSerial(Table, tablename="paper_serial"):
    """The register of printed paper ballot serials: a serial not here was never printed."""

    poll = ForeignKey(references=Poll)
    serial = Varchar(length=24, unique=True)
    run = Integer()  # which print run of this poll produced it
    printed_at = Timestamptz(default=TimestamptzNow())
    # printed | counted | voided (a spoiled ballot exchanged) | unused (a blank sheet handed back)
    status = Varchar(length=10, default="printed")
    void_reason = Text(default="")


class PaperNotReturned(Table, tablename="paper_not_returned"):
    """An issued paper ballot that never came back (the deputy left with it, lost it…), declared
    by the secretariat with the reason. It names no deputy and no serial: neither is known."""

    poll = ForeignKey(references=Poll, index=True)
    reason = Text(default="")
    recorded_by = Varchar(length=80)
    at = Timestamptz(default=TimestamptzNow())


class PaperEntry(Table, tablename="paper_entry"):
    """One counter's reading of a returned paper ballot, or a scrutineer's ruling on a disagreement.

    Each ballot is entered by two different counters; when the two agree (or a scrutineer
    rules) the ballot goes into the box as a `Ballot` with a fresh random id, which does
    not name its serial. Once the whole scrutiny team has confirmed the count, each serial's
    content is kept only as a `sealed` row (sealed to the poll's key) and the other rows keep
    who entered the serial and when, with empty marks (voting.paper.seal_links).
    """

    poll = ForeignKey(references=Poll, index=True)
    serial = Varchar(length=24, index=True)
    kind = Varchar(length=10, default="entry")  # entry | ruling | correction | sealed
    by_key = Varchar(length=30)  # "deputy:17": who, to tell two counters apart
    by_label = Varchar(length=80)
    marks = Text(default="{}")
    void = Boolean(default=False)
    at = Timestamptz(default=TimestamptzNow())


class ScrutinyMember(Table, tablename="scrutiny_member"):
    """A session's scrutineers (总监票人, 监票人) and counters (计票人), elected from the deputies."""

    session = ForeignKey(references=Session, index=True)
    deputy = ForeignKey(references=Deputy)
    role = Varchar(length=20)  # chief | scrutineer | counter


class Confirmation(Table, tablename="confirmation"):
    """A scrutineer's confirmation of a poll's count, on a tablet or as a paper signature recorded."""

    poll = ForeignKey(references=Poll, index=True)
    deputy = ForeignKey(references=Deputy)
    role = Varchar(length=20)
    how = Varchar(length=10)  # tablet | paper
    recorded_by = Varchar(length=80)
    at = Timestamptz(default=TimestamptzNow())
    # On a tablet, the scrutineer signs the seal (voting.signed_seal): what they signed, with which key.
    statement = Text(default="")
    public_key = Varchar(length=64, default="")
    signature = Text(default="")


class ResultCorrection(Table, tablename="result_correction"):
    """A correction of a confirmed result: a new record linked to the poll, never an edit."""

    poll = ForeignKey(references=Poll, index=True)
    result = JSON()
    ballots_sha256 = Varchar(length=64)
    reason = Text()
    by = Varchar(length=80)
    at = Timestamptz(default=TimestamptzNow())


class StoredFile(Table, tablename="stored_file"):
    """An uploaded file as kept (a proposal's attachment, an inspection's photo), once per content,
    named by the SHA-256 of what is kept. In the database, so every app node serves what any node
    took, and a backup holds the files with the records that name them (voting.file_store)."""

    sha256 = Varchar(length=64, unique=True)
    size = Integer()
    content = Bytea()
    stored_at = Timestamptz(default=TimestamptzNow())


class PendingUpload(Table, tablename="pending_upload"):
    """A file between its preview and its confirmation (voting.pending_uploads): for one staff
    member and one purpose, removed once confirmed or cancelled, or after two hours."""

    token = Varchar(length=32, unique=True)
    purpose = Varchar(length=60)
    owner = Integer()
    filename = Varchar(length=255)
    content = Bytea()
    kept_at = Timestamptz(default=TimestamptzNow())


class HelpRequest(Table, tablename="help_request"):
    """A deputy's 请求协助 from the tablet (voting.help_requests): who, from which kind of page,
    when; handled by whom and when. Never a mark."""

    deputy = ForeignKey(references=Deputy, index=True)
    place = Varchar(length=10, default="other")  # ballot | review | home | other
    asked_at = Timestamptz(default=TimestamptzNow())
    handled_at = Timestamptz(null=True, default=None)
    handled_by = Varchar(length=80, default="")


class Translation(Table, tablename="translation"):
    """One text in a congress's second language, entered by its translation office
    (voting.translations). Never changed: a correction is a newer row for the same source, and a
    poll keeps reading the rows that were in force when it opened (Poll.translations_upto)."""

    congress = ForeignKey(references=Congress, index=True)
    language = Varchar(length=8)
    source = Text()
    text = Text()
    entered_by = Varchar(length=80)
    entered_at = Timestamptz(default=TimestamptzNow())
    reason = Text(default="")  # why a translation in force was changed
