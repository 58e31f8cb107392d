"""Claims through the services (filings.claims): who files which claim, every window at its edges (the day
before, on, and after, with time-machine), the refund of each kind, refusals that name the reason and the
date, and one claim per submitted form."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from accounts.crypto import decrypt
from accounts.models import AccessLogEntry, OutboxEmail
from filings import claims
from filings.claims import ClaimAlreadySubmitted, ClaimLinesInvalid, claim_preview
from filings.models import Claim, ClaimLine
from programs.models import DirectDeposit
from tests.accounts.factories import UserFactory
from tests.consent.factories import ProgramAccountFactory, owner_grant
from tests.filings.claim_factories import file_claim, line
from tests.filings.factories import edmonton, filer_actor

FUEL = Claim.Kind.FUEL_TAX_REFUND
VENDOR = Claim.Kind.CARBON_LEVY_VENDOR
INDIAN = Claim.Kind.CARBON_LEVY_INDIAN
INVENTORY = Claim.Kind.INVENTORY_DECLARATION


@pytest.fixture
def carbon_account(db):
    return ProgramAccountFactory(
        program="carbon_levy", taxpayer__legal_name="Treaty Fuels Co-op", effective_date=date(2017, 1, 1)
    )


@pytest.fixture
def carbon_owner(carbon_account):
    user = UserFactory(full_name="Cara Claimant")
    owner_grant(account=carbon_account, user=user)
    return user


def preview(account, kind, *lines, today):
    return claim_preview(account=account, kind=kind, lines=list(lines), today=today)


def refused(account, kind, one_line, *, today) -> dict[str, str]:
    with pytest.raises(ClaimLinesInvalid) as caught:
        preview(account, kind, one_line, today=today)
    return caught.value.errors_by_line[0]


# --- Which accounts file which claims ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("program", "allowed"),
    [
        ("fuel_tax", {FUEL, INVENTORY}),
        ("carbon_levy", {VENDOR, INDIAN}),
        ("tefs", set()),
        ("aite", set()),
        ("prop", {Claim.Kind.PROP}),
    ],
)
def test_kinds_by_program(db, program, allowed):
    account = ProgramAccountFactory(program=program)
    assert set(claims.claim_kinds_for(account=account)) == allowed
    # The claim TRACS files itself for a program (the marked-fuel refund) is not a person's to file (claim_submit
    # refuses it: tests/assessments/test_cycles.py), yet is recomputed for its accounts when assessed.
    own = {kind for kind, of in claims.SYSTEM_KINDS.items() if of == program}
    for kind in set(Claim.Kind.values) - allowed - own:
        with pytest.raises(ValidationError) as caught:
            preview(account, kind, line(reason="exported_bulk"), today=date(2024, 6, 1))
        assert caught.value.code == "not_for_this_account"
        assert account.number in caught.value.messages[0]


# --- Fuel tax refund claims: each reason's window at its edges --------------------------------------------

EDGES = [
    # reason, line, last day, refund
    (
        "stolen_or_destroyed",
        line("clear_gasoline", "1000", "2024-03-01", reason="stolen_or_destroyed", event="2024-03-15"),
        date(2025, 3, 15),
        "90.00",
    ),
    (
        "contaminated",
        line("clear_diesel", "1000", "2022-01-20", reason="contaminated", event="2022-02-10"),
        date(2025, 12, 31),
        "130.00",
    ),
    (
        "bad_debt",
        line("clear_gasoline", "1000", "2024-04-15", reason="bad_debt", event="2024-05-01"),
        date(2024, 7, 30),
        "130.00",
    ),
    (
        "rebranded",
        line("clear_diesel", "1000", "2021-06-10", reason="rebranded", rebranded_to="marked_diesel"),
        date(2024, 12, 31),
        "90.00",
    ),
    (
        "exported_bulk",
        line("marked_gasoline", "1000", "2021-06-10", reason="exported_bulk"),
        date(2024, 12, 31),
        "40.00",
    ),
]


@pytest.mark.parametrize(("reason", "one_line", "last_day", "refund"), EDGES, ids=[edge[0] for edge in EDGES])
@pytest.mark.parametrize("offset", [-1, 0, 1], ids=["day_before", "on", "day_after"])
def test_fuel_tax_refund_windows_at_their_edges(account, reason, one_line, last_day, refund, offset):
    """Each reason's last day (filings/rules/claim_windows.yaml), and the refund of 1,000 L:
    - stolen or destroyed: 1 year from the theft (2024-03-15) -> 2025-03-15; bought 2024-03-01 at $0.09/L
      (relief program, 2024 Q1) -> 1,000 x 0.09 = $90.00;
    - contaminated: 3 years from the end of the year it became unsaleable (2022) -> 2025-12-31; clear diesel
      bought 2022-01-20 at $0.13/L -> $130.00;
    - bad debt: 90 days after the write-off (2024-05-01) -> 2024-07-30; bought 2024-04-15 at $0.13 -> $130.00;
    - rebranded: 3 years from the end of the year of purchase (2021) -> 2024-12-31; clear diesel $0.13 ->
      marked diesel $0.04 = $0.09/L -> $90.00;
    - exported in bulk: same window; marked gasoline $0.04 -> $40.00.
    The day before and the last day are accepted; the day after is refused, naming the reason and the date."""
    day = date.fromordinal(last_day.toordinal() + offset)
    if offset <= 0:
        computation = preview(account, FUEL, one_line, today=day)
        assert computation.total == Decimal(refund)
        assert computation.lines[0].deadline == last_day
        return
    errors = refused(account, FUEL, one_line, today=day)
    (message,) = errors.values()
    label = claims.claim_rules.refund_reasons()[reason].label
    assert message.startswith(f"Too late to claim: {label}: ")
    assert f"no later than {last_day.isoformat()}." in message
    field = "event_date" if one_line.event_date else "purchase_date"
    assert set(errors) == {field}


def test_the_refusal_spells_out_the_rule(account):
    errors = refused(
        account,
        FUEL,
        line("clear_gasoline", "10", "2024-03-01", reason="stolen_or_destroyed", event="2024-03-15"),
        today=date(2025, 3, 16),
    )
    assert errors["event_date"] == (
        "Too late to claim: Fuel stolen or destroyed: TRA must receive the claim within 1 year(s) from the date "
        "the fuel was stolen or destroyed (2024-03-15), that is no later than 2025-03-15."
    )
    errors = refused(
        account,
        FUEL,
        line("clear_gasoline", "10", "2021-06-10", reason="exported_bulk"),
        today=date(2025, 1, 1),
    )
    assert errors["purchase_date"] == (
        "Too late to claim: Fuel exported from Alberta in bulk: TRA must receive the claim no later than 3 years "
        "from the end of the year of the purchase (2021-06-10), that is no later than 2024-12-31."
    )


def test_the_last_day_is_kept_by_the_date_in_alberta(account, owner):
    """23:59 in Edmonton on 2024-12-31 is already 2025-01-01 in UTC: still in time."""
    with time_machine.travel(edmonton(2024, 12, 31, 23, 59), tick=False):
        claim = file_claim(
            account=account,
            user=owner,
            lines=[line("clear_gasoline", "100", "2021-06-10", reason="exported_bulk")],
        )
    assert claim.total_refund == Decimal("13.00")
    with time_machine.travel(edmonton(2025, 1, 1, 0, 1), tick=False), pytest.raises(ClaimLinesInvalid):
        file_claim(
            account=account,
            user=owner,
            lines=[line("clear_gasoline", "100", "2021-06-10", reason="exported_bulk")],
        )


@pytest.mark.parametrize(
    ("one_line", "field", "message"),
    [
        (line(reason=""), "reason", claims.REASON_REQUIRED),
        (line(reason="smuggled"), "reason", claims.REASON_REQUIRED),
        (line(fuel="", reason="exported_bulk"), "fuel", claims.FUEL_REQUIRED),
        (
            line(fuel="kerosene", reason="exported_bulk"),
            "fuel",
            claims.FUEL_NOT_CLAIMABLE % {"fuel": "kerosene"},
        ),
        (line(litres="0", reason="exported_bulk"), "litres", claims.LITRES_REQUIRED),
        (
            line(litres="-5", reason="exported_bulk"),
            "litres",
            "Enter zero or more. A volume or amount cannot be negative.",
        ),
        (line(litres="1.2345", reason="exported_bulk"), "litres", "Enter at most 3 decimal places."),
        (line(purchase=None, reason="exported_bulk"), "purchase_date", claims.PURCHASE_DATE_REQUIRED),
        (
            line(purchase="2024-06-02", reason="exported_bulk"),
            "purchase_date",
            claims.DATE_IN_FUTURE % {"today": "2024-06-01"},
        ),
        (
            line(reason="bad_debt"),
            "event_date",
            claims.EVENT_DATE_REQUIRED
            % {
                "event": "the date of the notice of bankruptcy or receivership, or of the write-off, whichever is earlier"
            },
        ),
        (
            line(reason="bad_debt", event="2024-06-02"),
            "event_date",
            claims.DATE_IN_FUTURE % {"today": "2024-06-01"},
        ),
        (
            line(reason="bad_debt", event="2024-05-09"),
            "event_date",
            claims.EVENT_BEFORE_PURCHASE % {"purchase": "2024-05-10"},
        ),
        (line(reason="rebranded"), "rebranded_to", claims.REBRANDED_TO_REQUIRED),
        (line(reason="rebranded", rebranded_to="clear_gasoline"), "rebranded_to", claims.REBRANDED_TO_SAME),
        (
            line("marked_diesel", reason="rebranded", rebranded_to="clear_diesel"),
            "rebranded_to",
            claims.NOT_A_LOWER_RATE % {"to": "Clear diesel", "fuel": "Marked diesel", "day": "2024-05-10"},
        ),
        (
            line("clear_gasoline", purchase="2022-06-01", reason="exported_bulk"),
            "purchase_date",
            claims.NOTHING_TO_REFUND
            % {"fuel": "Clear gasoline", "day": "2022-06-01", "rate": "$0.00/L", "since": "2022-04-01"},
        ),
        (
            line("marked_diesel", purchase="2010-06-01", reason="exported_bulk"),
            "purchase_date",
            claims.RATE_NOT_ON_FILE % {"fuel": "Marked diesel", "day": "2010-06-01"},
        ),
    ],
)
def test_bad_lines_are_refused_next_to_their_field(account, one_line, field, message):
    with time_machine.travel(edmonton(2024, 6, 1), tick=False):
        errors = refused(account, FUEL, one_line, today=date(2024, 6, 1))
    assert errors == {field: str(message)}


def test_every_bad_line_is_reported_at_once(account):
    with pytest.raises(ClaimLinesInvalid) as caught:
        preview(
            account,
            FUEL,
            line(reason="exported_bulk"),
            line(reason=""),
            line(litres="0", reason="exported_bulk"),
            today=date(2024, 6, 1),
        )
    assert set(caught.value.errors_by_line) == {1, 2}
    assert "Line 2: " in caught.value.messages[0]


def test_a_claim_needs_a_line(account):
    with pytest.raises(ValidationError) as caught:
        preview(account, FUEL, today=date(2024, 6, 1))
    assert caught.value.code == "no_lines"


def test_refund_per_line_rounded_half_up_and_totalled(account):
    """Each line: litres x the rate on its date of purchase, rounded half up to the cent on its own:
    12.5 L x $0.13 = 1.625 -> $1.63; 10.05 L x $0.09 = 0.9045 -> $0.90 (2024-02-10, relief rate);
    33.3 L x $0.04 = 1.332 -> $1.33; total $3.86 (the sum of the rounded lines)."""
    computation = preview(
        account,
        FUEL,
        line("clear_gasoline", "12.5", "2024-05-10", reason="exported_bulk"),
        line("clear_diesel", "10.05", "2024-02-10", reason="exported_bulk"),
        line("marked_diesel", "33.3", "2024-05-10", reason="exported_bulk"),
        today=date(2024, 6, 1),
    )
    assert [str(computed.refund) for computed in computation.lines] == ["1.63", "0.90", "1.33"]
    assert [str(computed.rate_value) for computed in computation.lines] == ["0.13", "0.09", "0.04"]
    assert computation.lines[1].rate_effective_from == date(2024, 1, 1)
    assert computation.total == Decimal("3.86")


def test_refund_method_follows_the_direct_deposit_on_file(account):
    assert (
        preview(account, FUEL, line(reason="exported_bulk"), today=date(2024, 6, 1)).refund_method == "cheque"
    )
    DirectDeposit.objects.create(
        account=account,
        institution_number="001",
        transit_number="12345",
        account_number_encrypted=b"x",
        account_number_last4="6789",
        holder_name="Prairie Fuels Ltd.",
    )
    assert (
        preview(account, FUEL, line(reason="exported_bulk"), today=date(2024, 6, 1)).refund_method
        == "direct_deposit"
    )


# --- Carbon levy claims -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [VENDOR, INDIAN])
@pytest.mark.parametrize(
    ("purchase", "today", "refund"),
    [
        ("2019-05-28", date(2019, 6, 15), "67.30"),
        ("2019-05-29", date(2019, 6, 15), "67.30"),
        ("2019-05-30", date(2019, 6, 15), None),
        ("2019-05-31", date(2019, 6, 15), None),
        ("2017-01-01", date(2019, 6, 15), "44.90"),
        ("2016-12-31", date(2019, 6, 15), None),
    ],
)
def test_carbon_levy_only_for_fuel_bought_before_the_repeal(carbon_account, kind, purchase, today, refund):
    """1,000 L of clear gasoline: $0.0673/L in 2018 to 2019-05-29 -> $67.30; $0.0449/L in 2017 -> $44.90; none
    before 2017-01-01 and none from 2019-05-30 (repealed: programs/rates/carbon_levy.yaml)."""
    one_line = line("clear_gasoline", "1000", purchase)
    if refund is not None:
        computation = preview(carbon_account, kind, one_line, today=today)
        assert computation.total == Decimal(refund)
        return
    (message,) = refused(carbon_account, kind, one_line, today=today).values()
    if purchase >= "2019-05-30":
        assert message == str(claims.CARBON_LEVY_REPEALED % {"day": purchase, "repealed": "2019-05-30"})
    else:
        assert message == str(claims.CARBON_LEVY_NOT_YET % {"day": purchase, "first": "2017-01-01"})


@pytest.mark.parametrize(
    ("today", "accepted"),
    [(date(2023, 12, 30), True), (date(2023, 12, 31), True), (date(2024, 1, 1), False)],
    ids=["day_before", "on", "day_after"],
)
def test_carbon_levy_window_4_years_from_the_end_of_the_year_of_purchase(carbon_account, today, accepted):
    """Bought 2019-05-29: 4 years from the end of 2019 -> received no later than 2023-12-31. Diesel at
    $0.0803/L: 250 L -> 20.075 -> $20.08 (half up)."""
    one_line = line("clear_diesel", "250", "2019-05-29")
    if accepted:
        assert preview(carbon_account, VENDOR, one_line, today=today).total == Decimal("20.08")
        return
    errors = refused(carbon_account, VENDOR, one_line, today=today)
    assert errors == {
        "purchase_date": (
            "Too late to claim: Carbon levy refund claim, fuel vendor (AT5135): TRA must receive the claim no later "
            "than 4 years from the end of the year of the purchase (2019-05-29), that is no later than 2023-12-31."
        )
    }


def test_carbon_levy_claims_only_name_levied_fuels(carbon_account):
    errors = refused(
        carbon_account, INDIAN, line("aviation_gasoline", "10", "2018-05-01"), today=date(2019, 1, 1)
    )
    assert errors == {"fuel": str(claims.FUEL_NOT_CLAIMABLE % {"fuel": "aviation_gasoline"})}


# --- The inventory declaration ----------------------------------------------------------------------------


def test_inventory_declaration_refunds_13_and_4_cents(account, owner):
    """Held on 2022-04-01: 10,000 L clear gasoline x $0.13 = $1,300.00; 2,500.5 L clear diesel x $0.13 =
    325.065 -> $325.07; 4,000 L marked diesel x $0.04 = $160.00; 333.3 L marked gasoline x $0.04 = 13.332 ->
    $13.33; total $1,798.40; by cheque whatever the account's direct deposit."""
    lines = [
        line("clear_gasoline", "10,000", None, document="Bay 1"),
        line("clear_diesel", "2500.5", None),
        line("marked_diesel", "4000", None),
        line("marked_gasoline", "333.3", None),
    ]
    with time_machine.travel(edmonton(2022, 5, 2), tick=False):
        claim = file_claim(account=account, user=owner, kind=INVENTORY, lines=lines)
    assert claim.inventory_date == date(2022, 4, 1)
    assert claim.refund_method == "cheque"
    assert claim.total_refund == Decimal("1798.40")
    stored = list(
        claim.lines.order_by("id").values_list("fuel", "rate_value", "refund", "purchase_date", "deadline")
    )
    assert stored[0] == (
        "clear_gasoline",
        Decimal("0.130000"),
        Decimal("1300.00"),
        date(2022, 4, 1),
        date(2023, 3, 31),
    )
    assert [row[2] for row in stored] == [
        Decimal("1300.00"),
        Decimal("325.07"),
        Decimal("160.00"),
        Decimal("13.33"),
    ]
    assert claim.confirmation_number.startswith("ID-202205-")


@pytest.mark.parametrize(
    ("moment", "code"),
    [
        (edmonton(2022, 3, 31), "inventory_not_open"),
        (edmonton(2022, 4, 1, 0, 1), None),
        (edmonton(2023, 3, 30), None),
        (edmonton(2023, 3, 31, 23, 59), None),
        (edmonton(2023, 4, 1, 0, 1), "inventory_closed"),
    ],
)
def test_inventory_declaration_deadline(account, owner, moment, code):
    """Received on or before 2023-03-31 (by the date in Alberta); open from the count, 2022-04-01."""
    with time_machine.travel(moment, tick=False):
        if code is None:
            assert file_claim(
                account=account, user=owner, kind=INVENTORY, lines=[line("clear_gasoline", "1", None)]
            ).total_refund == Decimal("0.13")
            return
        with pytest.raises(ValidationError) as caught:
            file_claim(account=account, user=owner, kind=INVENTORY, lines=[line("clear_gasoline", "1", None)])
    assert caught.value.code == code
    if code == "inventory_closed":
        assert caught.value.messages[0] == (
            "The inventory declaration for Fuel tax relief, April 1, 2022 had to be received on or before 2023-03-31. "
            "It can no longer be filed."
        )
    else:
        assert "2022-04-01" in caught.value.messages[0]
    assert not Claim.objects.exists()


def test_inventory_declaration_names_only_its_fuels(account):
    errors = refused(account, INVENTORY, line("propane", "10", None), today=date(2022, 5, 1))
    assert errors == {"fuel": str(claims.FUEL_NOT_CLAIMABLE % {"fuel": "propane"})}


def test_one_inventory_declaration_per_account(account, owner):
    with time_machine.travel(edmonton(2022, 5, 2), tick=False):
        first = file_claim(
            account=account, user=owner, kind=INVENTORY, lines=[line("clear_gasoline", "1", None)]
        )
        with pytest.raises(ClaimAlreadySubmitted) as caught:
            file_claim(account=account, user=owner, kind=INVENTORY, lines=[line("clear_diesel", "5", None)])
    assert caught.value.existing == first
    assert caught.value.message == (
        f"An inventory declaration for Fuel tax relief, April 1, 2022 was already received (confirmation number {first.confirmation_number})."
    )
    assert Claim.objects.count() == 1


# --- Submitting -------------------------------------------------------------------------------------------


def test_submit_stores_the_claim_logs_and_emails(account, owner):
    with time_machine.travel(edmonton(2024, 6, 1, 9, 30), tick=False):
        claim = file_claim(
            account=account,
            user=owner,
            lines=[line("clear_gasoline", "1000", "2024-05-10", reason="exported_bulk", document="BOL-7781")],
        )
    assert claim.status == Claim.Status.RECEIVED
    assert claim.confirmation_number.startswith("FR-202406-")
    assert claim.filed_by == owner
    assert claim.filed_in_capacity == "owner"
    assert claim.certified_capacity == "Controller"
    assert claim.total_refund == Decimal("130.00")
    stored = ClaimLine.objects.get(claim=claim)
    assert (stored.reason, stored.document_number, stored.deadline) == (
        "exported_bulk",
        "BOL-7781",
        date(2027, 12, 31),
    )
    entry = AccessLogEntry.objects.get(kind=AccessLogEntry.Kind.CHANGE, action="fuel tax refund claim filed")
    assert entry.account_number == account.number
    assert claim.confirmation_number in entry.detail
    email = OutboxEmail.objects.get(purpose="claim-confirmation")
    assert email.to == [owner.email]
    assert claim.confirmation_number in decrypt(email.subject_encrypted)
    assert "$130.00" in decrypt(email.body_encrypted)


def test_the_same_form_sent_twice_stores_one_claim(account, owner):
    token = claims.submission_token_new()
    with time_machine.travel(edmonton(2024, 6, 1), tick=False):
        first = file_claim(account=account, user=owner, token=token)
        with pytest.raises(ClaimAlreadySubmitted) as caught:
            file_claim(account=account, user=owner, token=token)
        second = file_claim(account=account, user=owner)  # a new form: a new claim
    assert caught.value.existing == first
    assert (
        caught.value.message
        == f"This claim was already received (confirmation number {first.confirmation_number})."
    )
    assert Claim.objects.count() == 2
    assert second != first


def test_the_database_refuses_a_second_claim_for_one_form(account, owner):
    """The guard is a constraint, not only the check before the insert (a race reaches the insert)."""
    from django.db import IntegrityError, transaction

    with time_machine.travel(edmonton(2024, 6, 1), tick=False):
        first = file_claim(account=account, user=owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(
            account=account,
            kind=FUEL,
            received_at=first.received_at,
            confirmation_number="FR-202406-ZZZZZZ",
            submission_token=first.submission_token,
            refund_method="cheque",
            total_refund=Decimal("1"),
            filed_by_email="x@example.ca",
            filed_in_capacity="owner",
            certified_name="X",
            certified_capacity="Y",
        )


def test_a_race_past_the_check_is_turned_into_already_submitted(account, owner, monkeypatch):
    """Two requests with the same form: the second passes the check before the first commits, then its
    insert meets the constraint; it is answered with the first claim."""
    token = claims.submission_token_new()
    with time_machine.travel(edmonton(2024, 6, 1), tick=False):
        first = file_claim(account=account, user=owner, token=token)
        calls = {"n": 0}
        real = claims._existing_for

        def blind_first_time(**kwargs):
            calls["n"] += 1
            return (None, "") if calls["n"] == 1 else real(**kwargs)

        monkeypatch.setattr(claims, "_existing_for", blind_first_time)
        with pytest.raises(ClaimAlreadySubmitted) as caught:
            file_claim(account=account, user=owner, token=token)
    assert caught.value.existing == first
    assert Claim.objects.count() == 1


def test_certification_is_required(account, owner):
    with time_machine.travel(edmonton(2024, 6, 1), tick=False), pytest.raises(ValidationError) as caught:
        claims.claim_submit(
            account=account,
            kind=FUEL,
            lines=[line(reason="exported_bulk")],
            certified_name=" ",
            certified_capacity="",
            actor=filer_actor(owner),
            submission_token=claims.submission_token_new(),
        )
    assert caught.value.message_dict == {
        "certified_name": [str(claims.CERTIFIED_NAME_REQUIRED)],
        "certified_capacity": [str(claims.CERTIFIED_CAPACITY_REQUIRED)],
    }
    assert not Claim.objects.exists()


def test_carbon_levy_claim_filed(carbon_account, carbon_owner):
    with time_machine.travel(edmonton(2019, 6, 15), tick=False):
        claim = file_claim(
            account=carbon_account,
            user=carbon_owner,
            kind=INDIAN,
            lines=[line("propane", "100", "2018-03-01")],
        )
    assert claim.confirmation_number.startswith("CL-201906-")
    assert claim.total_refund == Decimal("4.62")  # 100 L x $0.0462
    assert claim.lines.get().fuel_label == "Propane"


def test_five_clashing_confirmation_numbers_refuse_the_claim_and_store_nothing(account, owner, monkeypatch):
    """As returns: with the draw fixed, a second claim of the same month clashes five times and is refused."""
    monkeypatch.setattr("secrets.choice", lambda alphabet: alphabet[-1])
    purchase = [line("clear_gasoline", "1000", "2024-05-10", reason="exported_bulk", document="BOL-7781")]
    with time_machine.travel(edmonton(2024, 6, 1, 9, 30), tick=False):
        first = file_claim(account=account, user=owner, lines=purchase)
        assert first.confirmation_number == "FR-202406-ZZZZZZ"
        other = ProgramAccountFactory(effective_date=date(2021, 1, 1))
        with pytest.raises(RuntimeError, match="could not draw a free confirmation number"):
            file_claim(account=other, user=owner, lines=purchase)
    assert not Claim.objects.filter(account=other).exists()
